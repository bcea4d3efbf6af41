// Vitest, ESM: the installed wsgate package with its built-in demo backend (which echoes through a
// signed PostToConnection of its own), then the test's own SDK v3 push.
import { test, expect, afterEach } from 'vitest';
import WebSocket from 'ws';
import { ApiGatewayManagementApiClient, PostToConnectionCommand, DeleteConnectionCommand, GoneException } from '@aws-sdk/client-apigatewaymanagementapi';
import { startWsgate } from 'wsgate';

let gw;
afterEach(async () => { if (gw) await gw.stop(); gw = undefined; });

const nextMessage = (ws) => new Promise((resolve) => ws.once('message', (d) => resolve(d.toString())));

test('demo echo, SDK v3 PostToConnection, DeleteConnection, then GoneException', async () => {
  gw = await startWsgate({ port: 0, testControl: true }); // testControl: the listing below, unsigned
  const ws = new WebSocket(gw.wsUrl);
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });

  let reply = nextMessage(ws);
  ws.send(JSON.stringify({ action: 'echo', message: 'hi from vitest' }));
  expect(await reply).toContain('hi from vitest');

  const res = await fetch(`http://127.0.0.1:${gw.port}/_wsgate/connections`);
  const { connections } = await res.json();
  expect(connections).toHaveLength(1);
  const mgmt = new ApiGatewayManagementApiClient({
    endpoint: gw.managementEndpoint, region: 'us-east-1', maxAttempts: 1,
    credentials: { accessKeyId: 'AKIDVITEST', secretAccessKey: 'any-key-in-sigv4-mode' },
  });
  reply = nextMessage(ws);
  await mgmt.send(new PostToConnectionCommand({ ConnectionId: connections[0], Data: new TextEncoder().encode('binary-safe push') }));
  expect(await reply).toBe('binary-safe push');

  const closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
  await mgmt.send(new DeleteConnectionCommand({ ConnectionId: connections[0] }));
  expect(await closed).toBeGreaterThan(0);
  await expect(mgmt.send(new PostToConnectionCommand({ ConnectionId: connections[0], Data: 'late' })))
    .rejects.toBeInstanceOf(GoneException);
}, 30000);
