// node:test: @wsgate/testcontainers against the real image (WSGATE_IMAGE) through DOCKER_HOST.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const WebSocket = require('ws');
const { ApiGatewayManagementApiClient, PostToConnectionCommand } = require('@aws-sdk/client-apigatewaymanagementapi');
const { WsgateContainer } = require('@wsgate/testcontainers');

const IMAGE = process.env.WSGATE_IMAGE || 'wsgate:latest';
const open = (url) => new Promise((resolve, reject) => {
  const ws = new WebSocket(url);
  ws.once('open', () => resolve(ws));
  ws.once('unexpected-response', (req, res) => reject(Object.assign(new Error(`handshake ${res.statusCode}`), { status: res.statusCode })));
  ws.once('error', reject);
});
const next = (ws) => new Promise((resolve, reject) => {
  const t = setTimeout(() => reject(new Error('no message within 10 s')), 10000);
  ws.once('message', (d) => { clearTimeout(t); resolve(d.toString()); });
});

test('demo backend, strict auth, SDK v3 push', { timeout: 90000 }, async () => {
  const gw = await new WsgateContainer(IMAGE).withHostIp('127.0.0.1')
    .withAuth('strict').withCredentials('AKIDNODETC', 'node-secret').withTestControl().start();
  try {
    assert.equal(gw.getWsUrl(), `ws://${gw.getHost()}:${gw.getPort()}/local`);
    const ws = await open(gw.getWsUrl());
    let reply = next(ws);
    ws.send(JSON.stringify({ action: 'echo', message: 'hi from node:test' }));
    assert.match(await reply, /hi from node:test/);
    const { connections } = await (await fetch(`http://${gw.getHost()}:${gw.getPort()}/_wsgate/connections`)).json();
    assert.equal(connections.length, 1);
    const mgmt = (accessKeyId, secretAccessKey) => new ApiGatewayManagementApiClient({
      endpoint: gw.getManagementEndpoint(), region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId, secretAccessKey } });
    reply = next(ws);
    await mgmt('AKIDNODETC', 'node-secret').send(new PostToConnectionCommand({ ConnectionId: connections[0], Data: 'pushed by SDK v3' }));
    assert.equal(await reply, 'pushed by SDK v3');
    await assert.rejects(mgmt('AKIDSTRANGER', 'nope').send(new PostToConnectionCommand({ ConnectionId: connections[0], Data: 'x' })),
      (e) => e.$metadata.httpStatusCode === 403);
    ws.close();
  } finally {
    await gw.stop();
  }
});

test('config file and stage', { timeout: 90000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsgate-tc-'));
  const file = path.join(dir, 'wsgate.json');
  fs.writeFileSync(file, JSON.stringify({ routes: { ping: { integration: 'mock', response: { statusCode: 200, body: 'pong' }, twoWay: true } } }));
  const gw = await new WsgateContainer(IMAGE).withHostIp('127.0.0.1').withConfigFile(file).withStage('ntest').start();
  try {
    assert.match(gw.getWsUrl(), /\/ntest$/);
    const ws = await open(gw.getWsUrl());
    const reply = next(ws);
    ws.send(JSON.stringify({ action: 'ping' }));
    assert.equal(await reply, 'pong');
    ws.close();
  } finally {
    await gw.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('backend is where $connect goes', { timeout: 90000 }, async () => {
  // Nothing listens on port 9 inside the container: the handshake gets 502 (the demo backend would accept).
  const gw = await new WsgateContainer(IMAGE).withHostIp('127.0.0.1').withBackend('http://127.0.0.1:9/events').start();
  try {
    await assert.rejects(open(gw.getWsUrl()), (e) => e.status === 502);
  } finally {
    await gw.stop();
  }
});
