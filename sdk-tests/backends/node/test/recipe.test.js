// README "TLS and callback URLs", the host-name recipe, end to end: a fixed --api-id, the AWS host
// name mapped to 127.0.0.1 in /etc/hosts (added here and restored afterwards: the test needs root,
// as CI and the dev machines are), wsgate serving port 443 beside its own (--listen 127.0.0.1:443),
// and an unchanged JS v3 handler (aws-host-handler.js) that hard-codes
// https://{apiId}.execute-api.{region}.amazonaws.com/{stage}, trusting wsgate's CA only through
// NODE_EXTRA_CA_CERTS. Starts its own wsgate (WSGATE_BIN) with a fresh --state-dir.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { freePort, logs, startAndWait, stopAll } from './procs.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const API_ID = 'tlsrecipe1';
const REGION = 'us-east-1';
const HOST = `${API_ID}.execute-api.${REGION}.amazonaws.com`;
const HOSTS = '/etc/hosts';
const key = process.env.WSGATE_ACCESS_KEY_ID || 'AKIDWSGATE';
const secret = process.env.WSGATE_SECRET_ACCESS_KEY || 'wsgate-secret';
let originalHosts = null;
let wsUrl;

function restoreHosts() {
  // written in place (not renamed): /etc/hosts is often a bind mount in containers
  if (originalHosts !== null) fs.writeFileSync(HOSTS, originalHosts);
  originalHosts = null;
}
process.on('exit', restoreHosts);

before(async () => {
  assert.equal(process.getuid(), 0, 'the recipe test edits /etc/hosts and binds port 443: run it as root');
  const bin = process.env.WSGATE_BIN;
  assert.ok(bin, 'WSGATE_BIN is not set (path to build/wsgate)');
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'wsgate-recipe-'));
  originalHosts = fs.readFileSync(HOSTS, 'utf8');
  fs.writeFileSync(HOSTS, `${originalHosts}${originalHosts.endsWith('\n') ? '' : '\n'}127.0.0.1 ${HOST}\n`);
  const handlerPort = await freePort();
  const gateUrl = await startAndWait(bin, ['--port', '0', '--api-id', API_ID, '--region', REGION,
    '--listen', '127.0.0.1:443', '--state-dir', state, '--auth', 'strict', '--credentials', `${key}:${secret}`,
    '--backend', `http://127.0.0.1:${handlerPort}/`], {}, /listening on (http:\/\/[0-9.]+:[0-9]+)/, 'wsgate');
  wsUrl = `${gateUrl.replace('http:', 'ws:')}/local`;
  const env = { ...process.env, PORT: String(handlerPort), AWS_REGION: REGION, AWS_ACCESS_KEY_ID: key,
    AWS_SECRET_ACCESS_KEY: secret, NODE_EXTRA_CA_CERTS: path.join(state, 'ca.pem') };
  for (const k of ['WSGATE_ENDPOINT', 'AWS_CA_BUNDLE', 'SSL_CERT_FILE', 'AWS_ENDPOINT_URL', 'AWS_PROFILE']) delete env[k];
  await startAndWait(process.execPath, [path.join(here, '..', 'aws-host-handler.js')], { env },
    /(handler listening on http)/, 'handler');
});

after(() => {
  stopAll();
  restoreHosts();
});

test('an unchanged handler reaches wsgate at https://{apiId}.execute-api.{region}.amazonaws.com/{stage}', async () => {
  const ws = new WebSocket(wsUrl);
  const received = [];
  let wake = () => {};
  ws.on('message', (data) => { received.push(data.toString('utf8')); wake(); });
  await new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); });
  try {
    ws.send('hello from the recipe');
    const deadline = Date.now() + 10000;
    while (received.length < 1 && Date.now() < deadline) {
      await new Promise((res) => { wake = res; setTimeout(res, 200); });
    }
    assert.deepEqual(received, [`via https://${HOST}/local: hello from the recipe`],
      `handler output:\n${logs.handler().slice(-3000)}\nwsgate output:\n${logs.wsgate().slice(-3000)}`);
    assert.match(logs.wsgate(), /also listening on 127\.0\.0\.1:443 \(plain and TLS/);
  } finally {
    ws.close(1000);
  }
});

test('/etc/hosts gets its original content back', () => {
  const saved = originalHosts;
  restoreHosts();
  assert.equal(fs.readFileSync(HOSTS, 'utf8'), saved);
  assert.ok(!fs.readFileSync(HOSTS, 'utf8').includes(HOST));
});
