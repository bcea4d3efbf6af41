package wsgate.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A real WebSocket client -> wsgate -> EchoBackend -> postToConnection -> the same client. */
class RoundTripTest {
    Process gate;
    EchoBackend backend;

    @AfterEach void tearDown() throws Exception {
        if (backend != null) backend.close();
        if (gate != null) {
            gate.destroy();
            if (!gate.waitFor(5, TimeUnit.SECONDS)) gate.destroyForcibly();
        }
    }

    static String env(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? dflt : v;
    }

    /** Starts wsgate (WSGATE_BIN) with --port 0 and returns its base URL from the "listening on" line. */
    String startGate(int backendPort, String auth, String key, String secret) throws Exception {
        String bin = env("WSGATE_BIN", null);
        assertNotNull(bin, "WSGATE_BIN is not set (path to build/wsgate)");
        List<String> cmd = new ArrayList<>(List.of(bin, "--port", "0", "--backend", "http://127.0.0.1:" + backendPort + "/", "--auth", auth));
        if (auth.equals("strict")) cmd.addAll(List.of("--credentials", key + ":" + secret));
        gate = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CompletableFuture<String> url = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(gate.getInputStream(), StandardCharsets.UTF_8))) {
                Pattern p = Pattern.compile("listening on (http://[0-9.]+:[0-9]+)");
                StringBuilder all = new StringBuilder();
                for (String line; (line = r.readLine()) != null; ) {
                    all.append(line).append('\n');
                    Matcher m = p.matcher(line);
                    if (m.find()) url.complete(m.group(1));
                }
                url.completeExceptionally(new IllegalStateException("wsgate exited:\n" + all));
            } catch (Exception e) {
                url.completeExceptionally(e);
            }
        });
        reader.setDaemon(true);
        reader.start();
        return url.get(15, TimeUnit.SECONDS);
    }

    @Test void messageRoundTripsThroughBackend() throws Exception {
        String auth = env("WSGATE_AUTH", "sigv4");
        String key = env("WSGATE_ACCESS_KEY_ID", "AKIDWSGATE"), secret = env("WSGATE_SECRET_ACCESS_KEY", "wsgate-secret");
        int backendPort;
        try (ServerSocket s = new ServerSocket(0)) { backendPort = s.getLocalPort(); }
        String gateUrl = startGate(backendPort, auth, key, secret);
        backend = new EchoBackend(backendPort, URI.create(gateUrl + "/local"), "us-east-1", key, secret);

        LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
        WebSocket.Listener listener = new WebSocket.Listener() {
            final StringBuilder partial = new StringBuilder();
            @Override public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                partial.append(data);
                if (last) { received.add(partial.toString()); partial.setLength(0); }
                ws.request(1);
                return null;
            }
            @Override public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
                received.add("<binary frame>");
                ws.request(1);
                return null;
            }
        };
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                .buildAsync(URI.create(gateUrl.replaceFirst("^http:", "ws:") + "/local"), listener).get(10, TimeUnit.SECONDS);
        List<String> sent = List.of("hello backend", "{\"action\":\"anything\",\"n\":1}", "h\u00e9llo \u65e5\u672c\u8a9e \uD83C\uDF89");
        for (String m : sent) ws.sendText(m, true).get(5, TimeUnit.SECONDS);
        List<String> got = new ArrayList<>();
        for (int i = 0; i < sent.size(); i++) {
            String m = received.poll(10, TimeUnit.SECONDS);
            if (m == null) break;
            got.add(m);
        }
        ws.sendClose(1000, "").get(5, TimeUnit.SECONDS);
        // events are POSTed concurrently, so the echoes may arrive in any order (as on AWS)
        List<String> want = new ArrayList<>(sent);
        Collections.sort(want);
        Collections.sort(got);
        assertEquals(want, got);
    }
}
