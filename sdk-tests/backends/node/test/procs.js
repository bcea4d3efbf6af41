// What the backend tests share: a free loopback port, and processes started and stopped by PID
// with their output kept for failure messages. Not a test file (node --test runs *.test.js).
import { spawn } from 'node:child_process';
import net from 'node:net';

export const procs = [];
export const logs = {}; // process name -> its stdout+stderr so far, shown when a test fails

export function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
    s.on('error', rej);
  });
}

// Spawns a process and resolves with the first group of `re` matched on its stdout/stderr.
export function startAndWait(cmd, args, opts, re, what) {
  return new Promise((res, rej) => {
    const p = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(p);
    let out = '';
    logs[what] = () => out;
    const timer = setTimeout(() => rej(new Error(`${what} did not start within 15 s:\n${out}`)), 15000);
    const onData = (d) => {
      out += d;
      const m = out.match(re);
      if (m) { clearTimeout(timer); res(m[1]); }
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    p.on('exit', (code) => { clearTimeout(timer); rej(new Error(`${what} exited with ${code}:\n${out}`)); });
    p.on('error', (e) => { clearTimeout(timer); rej(e); });
  });
}

export function stopAll() {
  for (const p of procs) p.kill('SIGTERM');
}
