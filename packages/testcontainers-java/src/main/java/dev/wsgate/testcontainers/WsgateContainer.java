package dev.wsgate.testcontainers;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * wsgate (a local, SigV4-faithful emulator of AWS API Gateway WebSocket APIs) under Testcontainers.
 * Configuration goes through the image's {@code WSGATE_*} variables (its entrypoint turns them into
 * flags); the container is ready when {@code /health} answers 200.
 *
 * <pre>{@code
 * try (WsgateContainer gw = new WsgateContainer("wsgate:latest").withBackend("http://backend:8080/events")) {
 *     gw.start();
 *     URI ws = URI.create(gw.getWsUrl());                         // ws://HOST:PORT/local
 *     URI endpoint = URI.create(gw.getManagementEndpoint());       // ApiGatewayManagementApiClient endpoint
 * }
 * }</pre>
 */
public class WsgateContainer extends GenericContainer<WsgateContainer> {
    /** The port wsgate listens on inside the container. */
    public static final int PORT = 3001;
    private static final String CONFIG_PATH = "/etc/wsgate/config";

    private String stage = "local";
    private final List<String> credentials = new ArrayList<>();

    public WsgateContainer(String image) {
        this(DockerImageName.parse(image));
    }

    public WsgateContainer(DockerImageName image) {
        super(image);
        withExposedPorts(PORT);
        withEnv("WSGATE_HOST", "0.0.0.0");
        withEnv("WSGATE_PORT", String.valueOf(PORT));
        waitingFor(Wait.forHttp("/health").forPort(PORT).forStatusCode(200)
                .withStartupTimeout(Duration.ofSeconds(60)));
    }

    /** Where {@code $connect}, {@code $disconnect} and {@code $default} go (a URL the container can reach). */
    public WsgateContainer withBackend(String url) {
        return withEnv("WSGATE_BACKEND", url);
    }

    /** A config file on this machine (JSON, YAML, SAM/CloudFormation, serverless.yml), copied into the container. */
    public WsgateContainer withConfigFile(Path hostPath) {
        String name = hostPath.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String target = CONFIG_PATH + (dot >= 0 ? name.substring(dot) : ".json");
        withCopyFileToContainer(MountableFile.forHostPath(hostPath, 0644), target);
        return withEnv("WSGATE_CONFIG", target);
    }

    /** Management API authentication: {@code none}, {@code sigv4} (default: any key, signature checked) or {@code strict}. */
    public WsgateContainer withAuth(String mode) {
        return withEnv("WSGATE_AUTH", mode);
    }

    /** A known key pair (call again for more); {@code strict} accepts only these. */
    public WsgateContainer withCredentials(String accessKeyId, String secretAccessKey) {
        credentials.add(accessKeyId + ":" + secretAccessKey);
        return withEnv("WSGATE_CREDENTIALS", String.join(",", credentials));
    }

    public WsgateContainer withStage(String stageName) {
        this.stage = stageName;
        return withEnv("WSGATE_STAGE", stageName);
    }

    public WsgateContainer withRegion(String region) {
        return withEnv("WSGATE_REGION", region);
    }

    public WsgateContainer withVerbose() {
        return withEnv("WSGATE_VERBOSE", "1");
    }

    /**
     * Turn on wsgate's test-control API ({@code /_wsgate/test/...}) and open the connection listing
     * {@code GET /_wsgate/connections} without a signature (otherwise it is guarded like
     * {@code @connections}). Not part of AWS.
     */
    public WsgateContainer withTestControl() {
        return withEnv("WSGATE_TEST_CONTROL", "1");
    }

    /**
     * Publish the port on this host address only (e.g. {@code 127.0.0.1}) instead of every interface,
     * Testcontainers' default. The host port stays random.
     */
    public WsgateContainer withHostIp(String hostIp) {
        return withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withPortBindings(
                new PortBinding(Ports.Binding.bindIp(hostIp), ExposedPort.tcp(PORT))));
    }

    /** The mapped host port of wsgate. */
    public int getPort() {
        return getMappedPort(PORT);
    }

    /** {@code ws://HOST:PORT/STAGE} */
    public String getWsUrl() {
        return "ws://" + getHost() + ":" + getPort() + "/" + stage;
    }

    /** {@code http://HOST:PORT/STAGE}: the endpoint override of an ApiGatewayManagementApi client. */
    public String getManagementEndpoint() {
        return "http://" + getHost() + ":" + getPort() + "/" + stage;
    }
}
