package wsgate.sdk;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The running wsgate (from the environment sdk-tests/run.sh exports) and a real WebSocket peer. */
final class Gate {
    static final String USER_AGENT = "wsgate-sdk-tests/java";

    final String url, endpoint, wsUrl, auth, region, accessKeyId, secretAccessKey;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    Gate() {
        url = env("WSGATE_URL", null).replaceAll("/$", "");
        String stage = env("WSGATE_STAGE", "local");
        endpoint = url + "/" + stage;
        wsUrl = url.replaceFirst("^http", "ws") + "/" + stage; // http -> ws, https -> wss
        auth = env("WSGATE_AUTH", "sigv4");
        region = env("WSGATE_REGION", "us-east-1");
        accessKeyId = env("WSGATE_ACCESS_KEY_ID", "AKIDWSGATE");
        secretAccessKey = env("WSGATE_SECRET_ACCESS_KEY", "wsgate-secret");
    }

    private static String env(String name, String dflt) {
        String v = System.getenv(name);
        if (v == null || v.isEmpty()) v = dflt;
        if (v == null) throw new IllegalStateException(name + " is not set: start wsgate and export it (see sdk-tests/README.md)");
        return v;
    }

    Set<String> openConnections() throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/_wsgate/connections"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IOException("/_wsgate/connections answered " + r.statusCode());
        // {"connections":["id1","id2"]}: ids are base64url-ish, never contain quotes
        Set<String> ids = new HashSet<>();
        Matcher list = Pattern.compile("\"connections\"\\s*:\\s*\\[([^\\]]*)\\]").matcher(r.body());
        if (!list.find()) throw new IOException("unexpected /_wsgate/connections body: " + r.body());
        Matcher id = Pattern.compile("\"([^\"]*)\"").matcher(list.group(1));
        while (id.find()) ids.add(id.group(1));
        return ids;
    }

    Peer openPeer() throws Exception {
        Set<String> before = openConnections();
        Peer p = new Peer();
        p.ws = http.newWebSocketBuilder().header("User-Agent", USER_AGENT).connectTimeout(Duration.ofSeconds(10))
                .buildAsync(URI.create(wsUrl), p).get(10, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            List<String> added = new ArrayList<>(openConnections());
            added.removeAll(before);
            if (added.size() == 1) {
                p.id = added.get(0);
                return p;
            }
            if (System.nanoTime() > deadline) throw new IllegalStateException("could not identify the new connection: " + added);
            Thread.sleep(50);
        }
    }

    /** java.net.http.WebSocket client; text messages are reassembled and queued. */
    static final class Peer implements WebSocket.Listener, AutoCloseable {
        String id;
        WebSocket ws;
        private final LinkedBlockingQueue<Object> messages = new LinkedBlockingQueue<>();
        private final StringBuilder partial = new StringBuilder();
        final CompletableFuture<Integer> closeCode = new CompletableFuture<>();

        @Override public void onOpen(WebSocket webSocket) { webSocket.request(1); }

        @Override public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                messages.add(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            messages.add(new AssertionError("expected a text message, got a binary one"));
            webSocket.request(1);
            return null;
        }

        @Override public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closeCode.complete(statusCode);
            return null;
        }

        @Override public void onError(WebSocket webSocket, Throwable error) { closeCode.completeExceptionally(error); }

        /** the next text message as UTF-8 bytes */
        byte[] nextText() throws Exception {
            Object m = messages.poll(10, TimeUnit.SECONDS);
            if (m == null) throw new AssertionError("no message within 10 s (close: " + closeCode.getNow(null) + ")");
            if (m instanceof AssertionError e) throw e;
            return ((String) m).getBytes(StandardCharsets.UTF_8);
        }

        int awaitCloseCode() throws Exception { return closeCode.get(10, TimeUnit.SECONDS); }

        @Override public void close() { if (ws != null) ws.abort(); }
    }

    static byte[] pattern(int n) {
        byte[] block = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_".getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[n];
        for (int i = 0; i < n; i++) out[i] = block[i % block.length];
        return out;
    }
}
