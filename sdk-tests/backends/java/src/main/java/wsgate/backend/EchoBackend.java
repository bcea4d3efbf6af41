package wsgate.backend;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.Executors;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.apigatewaymanagementapi.ApiGatewayManagementApiClient;
import software.amazon.awssdk.services.apigatewaymanagementapi.model.GoneException;

/**
 * Sample wsgate backend (JDK HTTP server, no framework). wsgate POSTs one Lambda-proxy event per
 * $connect, message and $disconnect (start wsgate with --backend http://127.0.0.1:9000/). On a
 * message ($default route) it echoes the body back to the sender with postToConnection, the call a
 * Lambda makes on AWS.
 *
 * <pre>PORT=9000 WSGATE_ENDPOINT=http://127.0.0.1:3001/local java -cp 'target/classes:target/dependency/*' wsgate.backend.EchoBackend</pre>
 *
 * Env: PORT (9000; 0 = any free port), WSGATE_ENDPOINT (management API base URL including the stage),
 * AWS_REGION (us-east-1), AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (any value unless wsgate runs
 * with --auth strict).
 */
public final class EchoBackend implements AutoCloseable {
    private final HttpServer server;
    private final ApiGatewayManagementApiClient client;

    public EchoBackend(int port, URI endpoint, String region, String accessKeyId, String secretAccessKey) throws IOException {
        client = ApiGatewayManagementApiClient.builder()
                .endpointOverride(endpoint)                       // http://127.0.0.1:3001/local
                .region(Region.of(region))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKeyId, secretAccessKey)))
                .httpClient(UrlConnectionHttpClient.create())
                .build();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
    }

    public int port() { return server.getAddress().getPort(); }

    /** The "Lambda handler": takes the event, returns the Lambda proxy result's statusCode. */
    int handleEvent(JsonObject event) {
        JsonObject ctx = event.getAsJsonObject("requestContext");
        String routeKey = ctx.get("routeKey").getAsString();
        if (routeKey.equals("$connect") || routeKey.equals("$disconnect")) return 200;
        String connectionId = ctx.get("connectionId").getAsString();
        String body = event.has("body") && !event.get("body").isJsonNull() ? event.get("body").getAsString() : "";
        boolean b64 = event.has("isBase64Encoded") && event.get("isBase64Encoded").getAsBoolean();
        SdkBytes data = b64 ? SdkBytes.fromByteArray(Base64.getDecoder().decode(body)) : SdkBytes.fromUtf8String(body);
        try {
            client.postToConnection(r -> r.connectionId(connectionId).data(data));
        } catch (GoneException e) {
            return 410; // the client left meanwhile
        }
        return 200;
    }

    private void handle(HttpExchange ex) throws IOException {
        int status;
        try (InputStream in = ex.getRequestBody()) {
            status = handleEvent(JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getAsJsonObject());
        } catch (RuntimeException e) {
            System.err.println("handler failed: " + e);
            status = 500;
        }
        byte[] out = ("{\"statusCode\":" + status + "}").getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, out.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(out);
        }
    }

    @Override public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
        client.close();
    }

    private static String env(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? dflt : v;
    }

    public static void main(String[] args) throws IOException {
        EchoBackend b = new EchoBackend(Integer.parseInt(env("PORT", "9000")),
                URI.create(env("WSGATE_ENDPOINT", "http://127.0.0.1:3001/local")), env("AWS_REGION", "us-east-1"),
                env("AWS_ACCESS_KEY_ID", "AKIDWSGATE"), env("AWS_SECRET_ACCESS_KEY", "wsgate-secret"));
        System.out.println("backend listening on http://127.0.0.1:" + b.port());
    }
}
