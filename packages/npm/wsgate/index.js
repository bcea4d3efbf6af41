'use strict';
// The JavaScript API for tests: start a wsgate child process on a free port, wait until /health
// answers, and stop it with SIGTERM (which makes wsgate close every client with 1001 and deliver
// every $disconnect before it exits). Only the process started here is ever signalled.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { binaryPath, WsgateBinaryError } = require('./lib/platform');

const WS_URL_RE = /WebSocket API:\s+(ws:\/\/\S+)/;
const MGMT_RE = /management API:\s+(http:\/\/\S+?)\/@connections\//;
const PORT_RE = /listening on http:\/\/\S+:(\d+)/;
const running = new Set();

function normaliseCredentials(creds) {
  if (!creds) return [];
  return (Array.isArray(creds) ? creds : [creds]).map((c) => {
    if (typeof c === 'string') {
      const i = c.indexOf(':');
      if (i <= 0) throw new TypeError(`wsgate: credentials "${c}" is not AKID:SECRET`);
      return { accessKeyId: c.slice(0, i), secretAccessKey: c.slice(i + 1) };
    }
    if (!c || !c.accessKeyId || !c.secretAccessKey) throw new TypeError('wsgate: credentials need accessKeyId and secretAccessKey');
    return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey };
  });
}

// A config object (config: {...}, routes, functions, authorizer) becomes a JSON file in a private
// temp dir. Relative code paths of functions are resolved against `cwd`, as they would be against
// the config file's directory.
function configDocument(opts, cwd) {
  let doc = null;
  if (opts.config && typeof opts.config === 'object') doc = { ...opts.config };
  for (const key of ['routes', 'functions', 'authorizer']) {
    if (opts[key] === undefined) continue;
    if (typeof opts.config === 'string') throw new TypeError(`wsgate: give "${key}" inside the config file, or pass config as an object`);
    doc = doc || {};
    doc[key] = opts[key];
  }
  if (doc && doc.functions) {
    const fns = {};
    for (const [name, fn] of Object.entries(doc.functions)) {
      fns[name] = fn && typeof fn === 'object' && typeof fn.codeUri === 'string' && !path.isAbsolute(fn.codeUri)
        ? { ...fn, codeUri: path.resolve(cwd, fn.codeUri) } : fn;
    }
    doc.functions = fns;
  }
  return doc;
}

function getHealth(url, timeoutMs) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => { res.resume(); resolve(res.statusCode === 200); });
    req.on('timeout', () => { req.destroy(); resolve(false); });
    req.on('error', () => resolve(false));
  });
}

/**
 * Starts wsgate and resolves once /health answers 200. See index.d.ts for the options.
 */
async function startWsgate(options = {}) {
  const opts = { ...options };
  const cwd = opts.cwd || process.cwd();
  const host = opts.host || '127.0.0.1';
  const args = ['--host', host, '--port', String(opts.port ?? 0)];
  if (opts.stage) args.push('--stage', opts.stage);
  let tmpDir = null;
  const doc = configDocument(opts, cwd);
  if (typeof opts.config === 'string') args.push('--config', path.resolve(cwd, opts.config));
  if (doc) {
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsgate-'));
    const file = path.join(tmpDir, 'wsgate.json');
    fs.writeFileSync(file, JSON.stringify(doc, null, 2));
    args.push('--config', file);
  }
  if (opts.backend) args.push('--backend', opts.backend);
  if (opts.auth) args.push('--auth', opts.auth);
  for (const c of normaliseCredentials(opts.credentials)) args.push('--credentials', `${c.accessKeyId}:${c.secretAccessKey}`);
  if (opts.region) args.push('--region', opts.region);
  if (opts.verbose) args.push('--verbose');
  if (opts.testControl) args.push('--test-control');
  if (opts.args) args.push(...opts.args);

  const bin = opts.binary || binaryPath();
  const startTimeoutMs = opts.startTimeoutMs ?? 15000;
  const child = spawn(bin, args, { cwd, env: { ...process.env, ...(opts.env || {}) }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const logs = [];
  let announced = {};
  let exited = null;
  const exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => { exited = { code, signal }; running.delete(child); resolve(exited); });
    child.on('error', (err) => { exited = { code: null, signal: null, error: err }; running.delete(child); resolve(exited); });
  });
  const onData = (stream) => {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop();
      for (const line of lines) {
        logs.push(line);
        if (opts.onLog) opts.onLog(line);
        let m;
        if ((m = PORT_RE.exec(line))) announced.port = Number(m[1]);
        if ((m = WS_URL_RE.exec(line))) announced.wsUrl = m[1];
        if ((m = MGMT_RE.exec(line))) announced.managementEndpoint = m[1];
      }
    });
    stream.on('end', () => { if (partial) { logs.push(partial); if (opts.onLog) opts.onLog(partial); } });
  };
  onData(child.stdout);
  onData(child.stderr);

  const cleanupTmp = () => { if (tmpDir) { fs.rmSync(tmpDir, { recursive: true, force: true }); tmpDir = null; } };
  const stop = async ({ timeoutMs = 10000 } = {}) => {
    if (exited) { cleanupTmp(); return exited; }
    child.kill('SIGTERM');
    const timer = setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, timeoutMs);
    const result = await exitPromise;
    clearTimeout(timer);
    cleanupTmp();
    return result;
  };

  // Wait for the announcement (the real port when port 0 was asked for), then for /health.
  const deadline = Date.now() + startTimeoutMs;
  const clientHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host;
  for (;;) {
    if (exited) {
      cleanupTmp();
      const why = exited.error ? exited.error.message : `exit status ${exited.code}${exited.signal ? `, signal ${exited.signal}` : ''}`;
      throw new Error(`wsgate exited before it was ready (${why}):\n${logs.join('\n')}`);
    }
    if (announced.port && announced.wsUrl && announced.managementEndpoint
        && await getHealth(`http://${clientHost}:${announced.port}/health`, 1000)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wsgate did not answer /health within ${startTimeoutMs} ms:\n${logs.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const local = (u) => u.replace(`//${host}:`, `//${clientHost}:`);
  return {
    port: announced.port,
    wsUrl: local(announced.wsUrl),
    managementEndpoint: local(announced.managementEndpoint),
    region: opts.region || 'us-east-1',
    pid: child.pid,
    process: child,
    logs,
    get exited() { return exited; },
    stop,
  };
}

// A test runner that exits without calling stop() must not leave wsgate behind: kill only the
// children this module started, still running.
process.on('exit', () => { for (const c of running) { try { c.kill('SIGKILL'); } catch { /* gone */ } } });

module.exports = { startWsgate, binaryPath, WsgateBinaryError };
