#!/usr/bin/env python3
"""Issue 15's isolation measurement at full scale (the e2e tests in tests/e2e/test_isolation.py
run it scaled down, as pass/fail checks; this prints the figures for docs/reliability.md).

    .venv/bin/python bench/isolation.py [--bin build/wsgate] [--clients 2000] [--messages 10]

A: `$default` on a backend that accepts and never answers, `--integration-timeout 300`, CLIENTS x
   MESSAGES messages: when the timeout frames arrive (from each client's send), how long a new
   client's `$connect` (a healthy backend) takes meanwhile, RSS before / peak / after.
B: one client sends 30,000 messages to that backend (integration timeout 29 s): frames by kind,
   RSS growth.
C: the same load as A with a 29 s timeout, then SIGTERM: `$disconnect` events delivered (healthy
   backend), exit status and time.
Everything on 127.0.0.1; every process started here is stopped by PID.
"""
import argparse
import json
import os
import resource
import selectors
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from wsgatekit.backend import RecordingBackend  # noqa: E402
from wsgatekit.procstat import rss_kb  # noqa: E402
from wsgatekit.rawws import OP_TEXT, RawWs, build_frame  # noqa: E402
from test_isolation import StuckBackend  # noqa: E402


def start(binary, args, log):
    proc = subprocess.Popen([binary, "--port", "0", "--host", "127.0.0.1"] + args, stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with open(log.name, errors="replace") as f:
            for line in f:
                if "listening on http://127.0.0.1:" in line:
                    return proc, int(line.split("127.0.0.1:")[1].split()[0])
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("wsgate did not start")


def config(tmp, backend, stuck, timeout_ms):
    path = os.path.join(tmp, f"config-{timeout_ms}.json")
    with open(path, "w") as f:
        json.dump({"routes": {
            "$connect": {"integration": "http", "uri": backend.url("/events")},
            "$disconnect": {"integration": "http", "uri": backend.url("/events")},
            "$default": {"integration": "http", "uri": stuck.url()},
        }}, f)
    return ["--config", path, "--integration-timeout", str(timeout_ms)]


def frames_in(buf):
    """Complete server frames in buf: (list of payloads, rest)."""
    out = []
    while len(buf) >= 2:
        n, off = buf[1] & 0x7F, 2
        if n == 126:
            if len(buf) < 4:
                break
            n, off = struct.unpack("!H", buf[2:4])[0], 4
        elif n == 127:
            if len(buf) < 10:
                break
            n, off = struct.unpack("!Q", buf[2:10])[0], 10
        if len(buf) < off + n:
            break
        out.append(buf[off:off + n])
        buf = buf[off + n:]
    return out, buf


def peak_sampler(pid, stop, peak):
    while not stop.is_set():
        try:
            peak[0] = max(peak[0], rss_kb(pid))
        except Exception:
            return
        time.sleep(0.05)


def scenario_a(binary, tmp, clients_n, per_client, timeout_ms):
    backend, stuck = RecordingBackend(), StuckBackend()
    log = open(os.path.join(tmp, "a.log"), "wb")
    proc, port = start(binary, config(tmp, backend, stuck, timeout_ms), log)
    try:
        clients = [RawWs.open(port) for _ in range(clients_n)]
        time.sleep(0.5)
        before = rss_kb(proc.pid)
        stop, peak = threading.Event(), [before]
        threading.Thread(target=peak_sampler, args=(proc.pid, stop, peak), daemon=True).start()
        sel = selectors.DefaultSelector()
        sent_at, got, delays, kinds = {}, {}, [], {}
        payload = b"".join(build_frame(OP_TEXT, json.dumps({"i": i})) for i in range(per_client))
        for n, c in enumerate(clients):
            c.sock.sendall(payload)
            sent_at[n] = time.monotonic()
            got[n] = b""
            c.sock.setblocking(False)
            sel.register(c.sock, selectors.EVENT_READ, n)
        t0 = time.monotonic()
        late = RawWs.open(port, timeout=60)
        connect_s = time.monotonic() - t0
        late.close()
        remaining = clients_n * per_client
        deadline = time.monotonic() + 60
        while remaining > 0 and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=1):
                n = key.data
                data = key.fileobj.recv(65536)
                if not data:
                    sel.unregister(key.fileobj)
                    continue
                frames, got[n] = frames_in(got[n] + data)
                now = time.monotonic()
                for f in frames:
                    kinds[json.loads(f)["message"]] = kinds.get(json.loads(f)["message"], 0) + 1
                    delays.append(now - sent_at[n])
                    remaining -= 1
        stop.set()
        time.sleep(3)                    # quiet connections' buffers go after 1 s, the trim after 2 s
        after = rss_kb(proc.pid)
        delays.sort()
        print(f"A clients={clients_n} messages={per_client} timeout_ms={timeout_ms}: frames={len(delays)} "
              f"kinds={kinds} p50_s={statistics.median(delays):.2f} max_s={delays[-1]:.2f} "
              f"healthy_connect_s={connect_s:.3f} rss_kb before={before} peak={peak[0]} after={after}")
        for c in clients:
            c.sock.close()
    finally:
        stuck.close()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        backend.close()


def scenario_b(binary, tmp, total=30000):
    backend, stuck = RecordingBackend(), StuckBackend()
    log = open(os.path.join(tmp, "b.log"), "wb")
    proc, port = start(binary, config(tmp, backend, stuck, 29000), log)
    try:
        c = RawWs.open(port)
        time.sleep(0.5)
        before = rss_kb(proc.pid)
        stop, peak = threading.Event(), [before]
        threading.Thread(target=peak_sampler, args=(proc.pid, stop, peak), daemon=True).start()
        kinds = {}

        def reader():
            buf = b""
            c.sock.settimeout(5)
            while sum(kinds.values()) < total:
                try:
                    data = c.sock.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                frames, buf = frames_in(buf + data)
                for f in frames:
                    m = json.loads(f)["message"]
                    kinds[m] = kinds.get(m, 0) + 1
        t = threading.Thread(target=reader, daemon=True)
        t.start()
        frame = build_frame(OP_TEXT, json.dumps({"action": "flood", "padding": "x" * 200}))
        for _ in range(total):
            c.sock.sendall(frame)
        t.join(timeout=30)
        stop.set()
        after = rss_kb(proc.pid)
        print(f"B one client, {total} messages, stuck backend: frames={kinds} "
              f"rss_kb before={before} peak={peak[0]} after={after} growth_kb={after - before}")
        c.sock.close()
    finally:
        stuck.close()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        backend.close()


def scenario_c(binary, tmp, clients_n, per_client):
    backend, stuck = RecordingBackend(), StuckBackend()
    log = open(os.path.join(tmp, "c.log"), "wb")
    proc, port = start(binary, config(tmp, backend, stuck, 29000), log)
    try:
        clients = [RawWs.open(port) for _ in range(clients_n)]
        ids = {r.connection_id for r in backend.wait_for_events("$connect", clients_n, timeout=30)}
        payload = b"".join(build_frame(OP_TEXT, json.dumps({"i": i})) for i in range(per_client))
        for c in clients:
            c.sock.sendall(payload)
        time.sleep(1)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
        took = time.monotonic() - t0
        got = {r.connection_id for r in backend.events("$disconnect")}
        print(f"C clients={clients_n} x {per_client} stuck messages, SIGTERM: exit={code} in {took:.1f} s, "
              f"$disconnect delivered {len(got & ids)}/{len(ids)}")
        for c in clients:
            c.sock.close()
    finally:
        stuck.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        backend.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "wsgate"))
    ap.add_argument("--clients", type=int, default=2000)
    ap.add_argument("--messages", type=int, default=10)
    ap.add_argument("--only", default="ABC")
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)   # 2 sockets per client here, and wsgate's
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # children inherit the raised limit
    with tempfile.TemporaryDirectory(prefix="wsgate-isolation-") as tmp:
        if "A" in a.only:
            scenario_a(a.bin, tmp, a.clients, a.messages, 300)
        if "B" in a.only:
            scenario_b(a.bin, tmp)
        if "C" in a.only:
            scenario_c(a.bin, tmp, a.clients, a.messages)


if __name__ == "__main__":
    main()
