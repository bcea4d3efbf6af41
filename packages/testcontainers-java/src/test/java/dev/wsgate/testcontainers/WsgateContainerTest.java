package dev.wsgate.testcontainers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.model.ExposedPort;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.apigatewaymanagementapi.ApiGatewayManagementApiClient;
import software.amazon.awssdk.services.apigatewaymanagementapi.model.ApiGatewayManagementApiException;

/** JUnit 5 against the real wsgate image (system property wsgate.image), through Docker or podman's Docker API. */
class WsgateContainerTest {
    private static final String IMAGE = System.getProperty("wsgate.image", "wsgate:latest");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** A WebSocket client that queues every text message it receives. */
    static final class Client implements WebSocket.Listener {
        final LinkedBlockingQueue<String> messages = new LinkedBlockingQueue<>();
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                messages.add(partial.toString());
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }

        String next() throws InterruptedException {
            String m = messages.poll(10, TimeUnit.SECONDS);
            if (m == null) throw new AssertionError("no message within 10 s");
            return m;
        }
    }

    private static ApiGatewayManagementApiClient mgmt(WsgateContainer gw, String akid, String secret) {
        return ApiGatewayManagementApiClient.builder()
                .endpointOverride(URI.create(gw.getManagementEndpoint()))
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(akid, secret)))
                .httpClient(UrlConnectionHttpClient.create())
                .build();
    }

    private static String onlyConnectionId(WsgateContainer gw) throws Exception {
        String body = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + gw.getHost() + ":" + gw.getPort()
                + "/_wsgate/connections")).build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("\"connections\":\\s*\\[\\s*\"([^\"]+)\"\\s*\\]").matcher(body);
        assertTrue(m.find(), "one connection listed: " + body);
        return m.group(1);
    }

    @Test
    void demoBackendRoundTripAndSignedPushWithStrictAuth() throws Exception {
        try (WsgateContainer gw = new WsgateContainer(IMAGE).withHostIp("127.0.0.1")
                .withAuth("strict").withCredentials("AKIDJAVATC", "java-secret").withTestControl()) {
            gw.start();
            assertEquals("ws://" + gw.getHost() + ":" + gw.getPort() + "/local", gw.getWsUrl());
            assertEquals("127.0.0.1", gw.getContainerInfo().getNetworkSettings().getPorts().getBindings()
                    .get(ExposedPort.tcp(WsgateContainer.PORT))[0].getHostIp(), "withHostIp: published on loopback only");
            Client client = new Client();
            WebSocket ws = HTTP.newWebSocketBuilder().buildAsync(URI.create(gw.getWsUrl()), client).get(10, TimeUnit.SECONDS);
            ws.sendText("{\"action\":\"echo\",\"message\":\"hi from JUnit\"}", true).get(5, TimeUnit.SECONDS);
            assertTrue(client.next().contains("hi from JUnit"), "demo backend echoed");

            String id = onlyConnectionId(gw);
            try (ApiGatewayManagementApiClient api = mgmt(gw, "AKIDJAVATC", "java-secret")) {
                api.postToConnection(b -> b.connectionId(id).data(SdkBytes.fromUtf8String("pushed by SDK v2")));
            }
            assertEquals("pushed by SDK v2", client.next());
            try (ApiGatewayManagementApiClient stranger = mgmt(gw, "AKIDSTRANGER", "nope")) {
                ApiGatewayManagementApiException e = assertThrows(ApiGatewayManagementApiException.class,
                        () -> stranger.postToConnection(b -> b.connectionId(id).data(SdkBytes.fromUtf8String("x"))));
                assertEquals(403, e.statusCode());
            }
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void configFileAndStage() throws Exception {
        Path config = Path.of(getClass().getResource("/ping-config.json").toURI());
        try (WsgateContainer gw = new WsgateContainer(IMAGE).withHostIp("127.0.0.1")
                .withConfigFile(config).withStage("jtest")) {
            gw.start();
            assertTrue(gw.getWsUrl().endsWith("/jtest"));
            Client client = new Client();
            WebSocket ws = HTTP.newWebSocketBuilder().buildAsync(URI.create(gw.getWsUrl()), client).get(10, TimeUnit.SECONDS);
            ws.sendText("{\"action\":\"ping\"}", true).get(5, TimeUnit.SECONDS);
            assertEquals("pong", client.next());
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void backendIsWhereConnectGoes() throws Exception {
        // Nothing listens on port 9 inside the container: $connect fails, so the handshake is refused
        // (with the demo backend it would succeed), and wsgate logs the backend it tried.
        try (WsgateContainer gw = new WsgateContainer(IMAGE).withHostIp("127.0.0.1")
                .withBackend("http://127.0.0.1:9/events")) {
            gw.start();
            CompletableFuture<WebSocket> attempt = HTTP.newWebSocketBuilder().buildAsync(URI.create(gw.getWsUrl()), new Client());
            ExecutionException e = assertThrows(ExecutionException.class, () -> attempt.get(20, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof WebSocketHandshakeException, "handshake refused: " + e.getCause());
            int status = ((WebSocketHandshakeException) e.getCause()).getResponse().statusCode();
            assertEquals(502, status, "an unreachable integration is a 502 on the handshake");
            // The log line is written as the handshake is refused; the logs API may lag behind a little.
            String logs = gw.getLogs();
            for (int i = 0; i < 50 && !logs.contains("127.0.0.1 port 9"); i++) {
                Thread.sleep(100);
                logs = gw.getLogs();
            }
            assertTrue(logs.contains("127.0.0.1 port 9"), "wsgate logged the backend it tried:\n" + logs);
        }
    }
}
