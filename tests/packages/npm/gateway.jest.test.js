// Jest, CommonJS: the installed wsgate package in front of a tiny backend of the test's own.
const http = require('node:http');
const WebSocket = require('ws');
const { ApiGatewayManagementApiClient, PostToConnectionCommand, GetConnectionCommand } = require('@aws-sdk/client-apigatewaymanagementapi');
const { startWsgate, binaryPath } = require('wsgate');

jest.setTimeout(30000);

function startBackend() {
  const events = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c)).on('end', () => {
      events.push(JSON.parse(body));
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ statusCode: 200 }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, events, port: server.address().port })));
}

// pred() returns a falsy value (or an empty array) until the condition holds.
const waitFor = async (pred, ms = 5000) => {
  const end = Date.now() + ms;
  for (;;) {
    const r = pred();
    if ((Array.isArray(r) ? r.length : r) || Date.now() > end) return r;
    await new Promise((s) => setTimeout(s, 25));
  }
};
const eventsOf = (events, type) => events.filter((e) => e.requestContext.eventType === type);

describe('wsgate from npm (Jest)', () => {
  let backend;
  beforeAll(async () => { backend = await startBackend(); });
  afterAll(() => new Promise((r) => { backend.server.close(r); backend.server.closeAllConnections(); }));

  test('connect, message, signed PostToConnection, and stop() delivers $disconnect', async () => {
    const gw = await startWsgate({
      backend: `http://127.0.0.1:${backend.port}/events`,
      auth: 'strict',
      credentials: { accessKeyId: 'AKIDJEST', secretAccessKey: 'jest-secret' },
    });
    try {
      expect(gw.port).toBeGreaterThan(0);
      expect(gw.wsUrl).toBe(`ws://127.0.0.1:${gw.port}/local`);
      expect(gw.managementEndpoint).toBe(`http://127.0.0.1:${gw.port}/local`);

      const ws = new WebSocket(gw.wsUrl);
      const received = [];
      let closeCode = null;
      ws.on('message', (d) => received.push(d.toString()));
      ws.on('close', (code) => { closeCode = code; });
      await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });

      const [connect] = await waitFor(() => eventsOf(backend.events, 'CONNECT'));
      const { connectionId } = connect.requestContext;
      ws.send(JSON.stringify({ action: 'hello', n: 1 }));
      const [message] = await waitFor(() => eventsOf(backend.events, 'MESSAGE'));
      expect(JSON.parse(message.body)).toEqual({ action: 'hello', n: 1 });

      const mgmt = new ApiGatewayManagementApiClient({
        endpoint: gw.managementEndpoint, region: gw.region,
        credentials: { accessKeyId: 'AKIDJEST', secretAccessKey: 'jest-secret' },
      });
      await mgmt.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'pushed by SDK v3' }));
      expect(await waitFor(() => received.includes('pushed by SDK v3'))).toBe(true);
      const info = await mgmt.send(new GetConnectionCommand({ ConnectionId: connectionId }));
      expect(info.ConnectedAt).toBeInstanceOf(Date);

      const stranger = new ApiGatewayManagementApiClient({
        endpoint: gw.managementEndpoint, region: gw.region, maxAttempts: 1,
        credentials: { accessKeyId: 'AKIDSTRANGER', secretAccessKey: 'nope' },
      });
      await expect(stranger.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'x' })))
        .rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });

      const exit = await gw.stop();
      expect(exit).toEqual({ code: 0, signal: null });
      // stop() resolves only after wsgate exited, and wsgate exits only after delivering $disconnect.
      const disconnects = eventsOf(backend.events, 'DISCONNECT');
      expect(disconnects.map((e) => e.requestContext.connectionId)).toEqual([connectionId]);
      expect(await waitFor(() => closeCode !== null)).toBe(true);
      expect(closeCode).toBe(1001);
      expect(gw.logs.join('\n')).toMatch(/listening on http:\/\/127\.0\.0\.1:/);
    } finally {
      await gw.stop(); // a no-op when the test already stopped it
    }
  });

  test('routes as an object: a mock two-way route answers without a backend', async () => {
    const gw = await startWsgate({
      routes: { ping: { integration: 'mock', response: { statusCode: 200, body: 'pong' }, twoWay: true } },
      stage: 'test',
    });
    try {
      expect(gw.wsUrl).toBe(`ws://127.0.0.1:${gw.port}/test`);
      const ws = new WebSocket(gw.wsUrl);
      await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
      const reply = new Promise((resolve) => ws.once('message', (d) => resolve(d.toString())));
      ws.send(JSON.stringify({ action: 'ping' }));
      expect(await reply).toBe('pong');
      ws.close();
    } finally {
      await gw.stop();
    }
  });

  test('a bad config rejects with wsgate\'s own message and leaves no process', async () => {
    await expect(startWsgate({ routes: { ping: { integration: 'nonsense' } } }))
      .rejects.toThrow(/exited before it was ready.*\n.*unknown integration 'nonsense'/s);
  });

  test('an unsupported platform gets a clear error', () => {
    expect(() => binaryPath({ platform: 'darwin', arch: 'arm64', env: {} }))
      .toThrow(/no prebuilt binary for darwin-arm64 \(available: linux-x64\)/);
    expect(binaryPath({ env: {} })).toMatch(/node_modules\/@wsgate\/linux-x64\/bin\/wsgate$/);
  });
});
