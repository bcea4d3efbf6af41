'use strict';
// WsgateContainer: wsgate's container image under Testcontainers. Configuration goes through the
// image's WSGATE_* variables (docker/entrypoint.sh turns them into flags); readiness is /health.
const path = require('node:path');
const { GenericContainer, AbstractStartedContainer, Wait } = require('testcontainers');

const WSGATE_PORT = 3001;
const CONFIG_PATH = '/etc/wsgate/config';

class WsgateContainer extends GenericContainer {
  /** @param {string} image  e.g. "wsgate:latest" (built from the repository's Dockerfile) */
  constructor(image = 'wsgate:latest') {
    super(image);
    this.wsgateStage = 'local';
    this.wsgateCredentials = [];
    this.withExposedPorts(WSGATE_PORT)
      .withEnvironment({ WSGATE_HOST: '0.0.0.0', WSGATE_PORT: String(WSGATE_PORT) })
      .withWaitStrategy(Wait.forHttp('/health', WSGATE_PORT).forStatusCode(200))
      .withStartupTimeout(60000);
  }

  /** Where $connect, $disconnect and $default go (a URL the container can reach). */
  withBackend(url) { return this.withEnvironment({ WSGATE_BACKEND: url }); }

  /** A config file on this machine (JSON, YAML, SAM/CloudFormation, serverless.yml), copied in. */
  withConfigFile(hostPath) {
    const target = `${CONFIG_PATH}${path.extname(hostPath) || '.json'}`;
    return this.withCopyFilesToContainer([{ source: path.resolve(hostPath), target, mode: 0o644 }])
      .withEnvironment({ WSGATE_CONFIG: target });
  }

  /** Management API authentication: "none", "sigv4" (default: any key, signature checked) or "strict". */
  withAuth(mode) { return this.withEnvironment({ WSGATE_AUTH: mode }); }

  /** A known key pair (call again for more); "strict" accepts only these. */
  withCredentials(accessKeyId, secretAccessKey) {
    this.wsgateCredentials.push(`${accessKeyId}:${secretAccessKey}`);
    return this.withEnvironment({ WSGATE_CREDENTIALS: this.wsgateCredentials.join(',') });
  }

  withStage(stage) { this.wsgateStage = stage; return this.withEnvironment({ WSGATE_STAGE: stage }); }

  withRegion(region) { return this.withEnvironment({ WSGATE_REGION: region }); }

  withVerbose() { return this.withEnvironment({ WSGATE_VERBOSE: '1' }); }

  /** wsgate's test-control API, and GET /_wsgate/connections without a signature (otherwise it is
   *  guarded like @connections). Not part of AWS. */
  withTestControl() { return this.withEnvironment({ WSGATE_TEST_CONTROL: '1' }); }

  /** Publish the port on this host address only (e.g. "127.0.0.1") instead of every interface,
   *  Testcontainers' default. The host port stays random. */
  withHostIp(hostIp) {
    this.hostConfig.PortBindings = { ...this.hostConfig.PortBindings, [`${WSGATE_PORT}/tcp`]: [{ HostIp: hostIp, HostPort: '0' }] };
    return this;
  }

  async start() {
    return new StartedWsgateContainer(await super.start(), this.wsgateStage);
  }
}

class StartedWsgateContainer extends AbstractStartedContainer {
  constructor(started, stage) { super(started); this.stage = stage; }

  getPort() { return this.getMappedPort(WSGATE_PORT); }

  /** ws://HOST:PORT/STAGE */
  getWsUrl() { return `ws://${this.getHost()}:${this.getPort()}/${this.stage}`; }

  /** http://HOST:PORT/STAGE: the endpoint of an ApiGatewayManagementApi client. */
  getManagementEndpoint() { return `http://${this.getHost()}:${this.getPort()}/${this.stage}`; }
}

module.exports = { WsgateContainer, StartedWsgateContainer, WSGATE_PORT };
