package wsgate.sdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.apigatewaymanagementapi.ApiGatewayManagementApiClient;
import software.amazon.awssdk.services.apigatewaymanagementapi.model.ApiGatewayManagementApiException;
import software.amazon.awssdk.services.apigatewaymanagementapi.model.GetConnectionResponse;
import software.amazon.awssdk.services.apigatewaymanagementapi.model.GoneException;
import software.amazon.awssdk.services.apigatewaymanagementapi.model.PayloadTooLargeException;

/** AWS SDK for Java v2 ApiGatewayManagementApiClient against wsgate (see sdk-tests/README.md). */
class ApiGatewayManagementApiTest {
    static final String ASCII = "hello from java";
    static final String UTF8 = "h\u00e9llo w\u00f6rld \u2014 \u2713 \u65e5\u672c\u8a9e \uD83C\uDF89";

    final Gate gate = new Gate();
    ApiGatewayManagementApiClient client;
    Gate.Peer peer;

    ApiGatewayManagementApiClient newClient(String secret) {
        return ApiGatewayManagementApiClient.builder()
                .endpointOverride(URI.create(gate.endpoint))
                .region(Region.of(gate.region))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(gate.accessKeyId, secret)))
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
    }

    @BeforeEach void setUp() throws Exception {
        client = newClient(gate.secretAccessKey);
        peer = gate.openPeer();
    }

    @AfterEach void tearDown() {
        peer.close();
        client.close();
    }

    void post(ApiGatewayManagementApiClient c, String id, byte[] data) {
        c.postToConnection(r -> r.connectionId(id).data(SdkBytes.fromByteArray(data)));
    }

    @Test void postDeliversAscii() throws Exception {
        var r = client.postToConnection(b -> b.connectionId(peer.id).data(SdkBytes.fromUtf8String(ASCII)));
        assertEquals(200, r.sdkHttpResponse().statusCode());
        assertEquals(ASCII, new String(peer.nextText(), StandardCharsets.UTF_8));
    }

    @Test void postDeliversMultibyteUtf8() throws Exception {
        byte[] data = UTF8.getBytes(StandardCharsets.UTF_8);
        post(client, peer.id, data);
        assertArrayEquals(data, peer.nextText());
    }

    @Test void postDelivers100KB() throws Exception {
        byte[] data = Gate.pattern(100 * 1024);
        post(client, peer.id, data);
        assertArrayEquals(data, peer.nextText());
    }

    @Test void postAccepts131072Bytes() throws Exception {
        byte[] data = Gate.pattern(131072);
        post(client, peer.id, data);
        assertArrayEquals(data, peer.nextText());
    }

    @Test void post131073BytesThrowsPayloadTooLarge() throws Exception {
        var e = assertThrows(PayloadTooLargeException.class, () -> post(client, peer.id, Gate.pattern(131073)));
        assertEquals(413, e.statusCode());
        assertEquals("PayloadTooLargeException", e.awsErrorDetails().errorCode());
        post(client, peer.id, "still open".getBytes(StandardCharsets.UTF_8));
        assertEquals("still open", new String(peer.nextText(), StandardCharsets.UTF_8));
    }

    @Test void getConnectionParsesTypedFields() {
        GetConnectionResponse r = client.getConnection(b -> b.connectionId(peer.id));
        Instant connected = r.connectedAt(), last = r.lastActiveAt();
        assertNotNull(connected, "connectedAt");
        assertNotNull(last, "lastActiveAt");
        assertTrue(Duration.between(connected, Instant.now()).abs().compareTo(Duration.ofMinutes(5)) < 0, "connectedAt near now: " + connected);
        assertFalse(last.isBefore(connected), "lastActiveAt >= connectedAt");
        assertEquals("127.0.0.1", r.identity().sourceIp());
        assertEquals(Gate.USER_AGENT, r.identity().userAgent());
    }

    @Test void deleteConnectionClosesWith1000ThenGone() throws Exception {
        var d = client.deleteConnection(b -> b.connectionId(peer.id));
        assertEquals(204, d.sdkHttpResponse().statusCode());
        assertEquals(1000, peer.awaitCloseCode());
        var e1 = assertThrows(GoneException.class, () -> post(client, peer.id, "too late".getBytes(StandardCharsets.UTF_8)));
        assertEquals(410, e1.statusCode());
        var e2 = assertThrows(GoneException.class, () -> client.getConnection(b -> b.connectionId(peer.id)));
        assertEquals(410, e2.statusCode());
        var e3 = assertThrows(GoneException.class, () -> client.deleteConnection(b -> b.connectionId(peer.id)));
        assertEquals(410, e3.statusCode());
    }

    @Test void unknownConnectionIsGone() {
        assertThrows(GoneException.class, () -> post(client, "AAAAAAAAAAAAAAA=", new byte[] {'x'}));
    }

    @Test void wrongSecret() throws Exception {
        try (ApiGatewayManagementApiClient bad = newClient("not-the-secret")) {
            if ("strict".equals(gate.auth)) {
                var e = assertThrows(ApiGatewayManagementApiException.class,
                        () -> post(bad, peer.id, "forged".getBytes(StandardCharsets.UTF_8)));
                assertEquals("InvalidSignatureException", e.awsErrorDetails().errorCode());
                assertEquals(403, e.statusCode());
                post(client, peer.id, "signed".getBytes(StandardCharsets.UTF_8));
                assertEquals("signed", new String(peer.nextText(), StandardCharsets.UTF_8));
            } else {
                // --auth sigv4 accepts any well-formed, current signature
                post(bad, peer.id, "any key".getBytes(StandardCharsets.UTF_8));
                assertEquals("any key", new String(peer.nextText(), StandardCharsets.UTF_8));
            }
        }
    }
}
