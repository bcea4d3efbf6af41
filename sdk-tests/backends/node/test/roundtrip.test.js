// A real WebSocket client -> wsgate -> this backend (HTTP POST of the Lambda-proxy event)
// -> PostToConnection -> wsgate -> the same client. Starts its own wsgate (WSGATE_BIN) with --backend.
// With WSGATE_TLS_STATE_DIR (sdk-tests/run.sh mode "tls"), everything goes over TLS: the client opens
// wss://, and the backend is given no endpoint, so it builds https://{domainName}/{stage} from the
// event as AWS's documentation does; both trust wsgate's CA only through NODE_EXTRA_CA_CERTS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { freePort, logs, startAndWait, stopAll } from './procs.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const auth = process.env.WSGATE_AUTH || 'sigv4';
const key = process.env.WSGATE_ACCESS_KEY_ID || 'AKIDWSGATE';
const secret = process.env.WSGATE_SECRET_ACCESS_KEY || 'wsgate-secret';
const tlsStateDir = process.env.WSGATE_TLS_STATE_DIR;

let wsUrl;
before(async () => {
  const bin = process.env.WSGATE_BIN;
  assert.ok(bin, 'WSGATE_BIN is not set (path to build/wsgate)');
  const backendPort = await freePort();
  const args = ['--port', '0', '--backend', `http://127.0.0.1:${backendPort}/`, '--auth', auth];
  if (auth === 'strict') args.push('--credentials', `${key}:${secret}`);
  if (tlsStateDir) args.push('--state-dir', tlsStateDir);
  const plainUrl = await startAndWait(bin, args, {}, /listening on (http:\/\/[0-9.]+:[0-9]+)/, 'wsgate');
  const gateUrl = tlsStateDir ? plainUrl.replace('http:', 'https:') : plainUrl;
  wsUrl = `${gateUrl.replace(/^http/, 'ws')}/local`;
  if (tlsStateDir) assert.ok(process.env.NODE_EXTRA_CA_CERTS, 'mode tls: NODE_EXTRA_CA_CERTS must name the CA');
  await startAndWait(process.execPath, [path.join(here, '..', 'server.js')], {
    env: {
      ...process.env,
      PORT: String(backendPort),
      ...(tlsStateDir ? {} : { WSGATE_ENDPOINT: `${gateUrl}/local` }),
      AWS_ACCESS_KEY_ID: key,
      AWS_SECRET_ACCESS_KEY: secret,
      AWS_REGION: 'us-east-1',
    },
  }, /(backend listening on http)/, 'backend');
});

after(stopAll);

test('a message round-trips through wsgate -> node backend -> PostToConnection', async () => {
  const ws = new WebSocket(wsUrl);
  const received = [];
  let wake = () => {};
  ws.on('message', (data, isBinary) => { received.push({ text: data.toString('utf8'), isBinary }); wake(); });
  await new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); });
  const messages = ['hello backend', '{"action":"anything","n":1}', 'h\u00e9llo \u65e5\u672c\u8a9e \u{1F389}'];
  try {
    for (const m of messages) ws.send(m);
    const deadline = Date.now() + 10000;
    while (received.length < messages.length && Date.now() < deadline) {
      await new Promise((res) => { wake = res; setTimeout(res, 200); });
    }
    // events are POSTed concurrently, so the echoes may arrive in any order (as on AWS)
    const key = (m) => `${m.isBinary}:${m.text}`;
    assert.deepEqual(received.map(key).sort(), messages.map((text) => key({ text, isBinary: false })).sort(),
      `echoes differ; backend output:\n${logs.backend().slice(-4000)}\nwsgate output (tail):\n${logs.wsgate().slice(-3000)}`);
  } finally {
    ws.close(1000);
  }
});
