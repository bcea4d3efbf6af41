// Shared by the JavaScript SDK suites (js-v2, js-v3): environment (exported by sdk-tests/run.sh) and
// a real WebSocket peer. Each suite passes in its own `ws` (modules resolve from the suite's
// node_modules, not from this folder): see js-v3/test/helpers.js.
let webSocketClass;

/** Called once by each suite's helpers.js with the `ws` WebSocket class. */
export function useWebSocket(cls) {
  webSocketClass = cls;
}

export const USER_AGENT = 'wsgate-sdk-tests/js';

function env(name, dflt) {
  const v = process.env[name] ?? dflt;
  if (v === undefined) throw new Error(`${name} is not set: start wsgate and export it (see sdk-tests/README.md)`);
  return v;
}

export function gate() {
  const url = env('WSGATE_URL').replace(/\/$/, '');
  const stage = env('WSGATE_STAGE', 'local');
  return {
    url,
    endpoint: `${url}/${stage}`,
    wsUrl: `${url.replace(/^http/, 'ws')}/${stage}`, // http -> ws, https -> wss
    auth: env('WSGATE_AUTH', 'sigv4'),
    region: env('WSGATE_REGION', 'us-east-1'),
    accessKeyId: env('WSGATE_ACCESS_KEY_ID', 'AKIDWSGATE'),
    secretAccessKey: env('WSGATE_SECRET_ACCESS_KEY', 'wsgate-secret'),
  };
}

async function openConnections(g) {
  const r = await fetch(`${g.url}/_wsgate/connections`);
  if (r.status !== 200) throw new Error(`/_wsgate/connections answered ${r.status}`);
  return new Set((await r.json()).connections);
}

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

/** A connected WebSocket client and its connectionId. Messages and the close event are queued. */
export async function openPeer(g) {
  const WebSocket = webSocketClass;
  const before = await openConnections(g);
  const ws = new WebSocket(g.wsUrl, { headers: { 'User-Agent': USER_AGENT } });
  const messages = [];
  const waiters = [];
  let closed = null;
  const wake = () => { while (waiters.length) waiters.shift()(); };
  ws.on('message', (data, isBinary) => { messages.push({ data: Buffer.from(data), isBinary }); wake(); });
  ws.on('close', (code, reason) => { closed = { code, reason: reason.toString() }; wake(); });
  await new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); });
  let id;
  for (const deadline = Date.now() + 5000; ;) {
    const added = [...(await openConnections(g))].filter((x) => !before.has(x));
    if (added.length === 1) { id = added[0]; break; }
    if (Date.now() > deadline) throw new Error(`could not identify the new connection: ${added}`);
    await sleep(50);
  }
  const waitFor = async (cond, what, ms = 10000) => {
    const deadline = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await Promise.race([new Promise((res) => waiters.push(res)), sleep(100)]);
    }
  };
  return {
    id,
    ws,
    /** next message as a Buffer; fails on a binary frame */
    async nextText() {
      await waitFor(() => messages.length > 0 || closed, 'a message');
      if (!messages.length) throw new Error(`closed before a message arrived: ${JSON.stringify(closed)}`);
      const m = messages.shift();
      if (m.isBinary) throw new Error('expected a text message, got a binary one');
      return m.data;
    },
    async closeEvent() {
      await waitFor(() => closed, 'the close frame');
      return closed;
    },
    close() { try { ws.terminate(); } catch { /* already gone */ } },
  };
}

export function pattern(n) {
  const block = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_');
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = block[i % block.length];
  return out;
}

export const ASCII = 'hello from javascript';
export const UTF8 = 'h\u00e9llo w\u00f6rld \u2014 \u2713 \u65e5\u672c\u8a9e \u{1F389}';
