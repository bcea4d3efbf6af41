#!/usr/bin/env node
'use strict';
// `npx wsgate [flags]`: runs the platform's wsgate binary with the same arguments, passes signals
// on (SIGTERM still delivers every $disconnect) and exits with its status.
const { spawn } = require('node:child_process');
const { binaryPath, WsgateBinaryError } = require('../lib/platform');

let bin;
try {
  bin = binaryPath();
} catch (e) {
  if (!(e instanceof WsgateBinaryError)) throw e;
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
}
const child = spawn(bin, process.argv.slice(2), { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { if (child.exitCode === null) child.kill(sig); });
}
child.on('error', (e) => { process.stderr.write(`wsgate: cannot run ${bin}: ${e.message}\n`); process.exit(1); });
child.on('exit', (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
  else process.exit(code);
});
