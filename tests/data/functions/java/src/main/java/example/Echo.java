package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A two-way route handler: answers {"runtime":"java","echo":MESSAGE,"functionName":NAME}. */
public class Echo implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    private static final Pattern MESSAGE = Pattern.compile("\"message\"\\s*:\\s*\"([^\"\\\\]*)\"");

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
        Object body = event.get("body");
        Matcher m = MESSAGE.matcher(body == null ? "" : body.toString());
        String message = m.find() ? m.group(1) : "";
        context.getLogger().log("echoing " + message);
        Map<String, Object> result = new HashMap<>();
        result.put("statusCode", 200);
        result.put("body", "{\"runtime\":\"java\",\"echo\":\"" + message + "\",\"functionName\":\""
                + context.getFunctionName() + "\"}");
        return result;
    }
}
