#!/usr/bin/env python3
"""Soak driver for wsgate: N WebSocket clients with mixed traffic for a fixed time, sampling the
server's RSS and fd count every 10 s. Run by scripts/soak.sh; not part of the default tests.

One asyncio process holds everything except wsgate itself:
- a keep-alive HTTP backend (the Lambda-proxy handler for $connect, $disconnect and a two-way
  $default that echoes the message body back),
- N clients (raw framing from tests/wsgatekit/rawws.py): each sends a message every 2-6 s and
  expects its echo; after a random lifetime (30-180 s) it leaves (close 1000, close without code, or
  a TCP reset) and a new client takes its place,
- a pusher: PostToConnection to random open clients (SigV4-free: wsgate runs with --auth none),
  each push must arrive.

Every anomaly is an error: failed handshake, missing or wrong echo, missing push, PostToConnection
not 200 for an open client, unexpected close, $disconnect missing or twice for a connection, wsgate
not exiting 0 on SIGTERM, a sanitizer report in its log. Exit status 0 only with zero errors.
"""
import argparse
import asyncio
import json
import os
import random
import re
import struct
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from wsgatekit import procstat  # noqa: E402
from wsgatekit.server import WsgateServer  # noqa: E402
from wsgatekit.rawws import OP_CLOSE, OP_PING, OP_PONG, OP_TEXT, build_frame, handshake_request  # noqa: E402

ECHO_TIMEOUT = 10.0
PUSH_TIMEOUT = 10.0


class Stats:
    def __init__(self):
        self.c = {k: 0 for k in ("connects", "disconnect_events", "messages_sent", "echoes", "pushes_sent",
                                 "pushes_received", "closes_1000", "closes_nocode", "resets", "errors")}
        self.error_samples = []

    def inc(self, key, n=1):
        self.c[key] += n

    def error(self, what):
        self.c["errors"] += 1
        if len(self.error_samples) < 50:
            self.error_samples.append(f"{time.strftime('%H:%M:%S')} {what}")
            print(f"ERROR {what}", flush=True)


class Soak:
    def __init__(self, args):
        self.args = args
        self.stats = Stats()
        self.clients = {}            # tag -> Client
        self.by_conn = {}            # connection id -> Client
        self.disconnects = {}        # connection id -> count
        self.connected_ids = set()
        self.stopping = False
        self.port = None

    # ---- backend ------------------------------------------------------------------------------
    async def backend_conn(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length) if length else b""
                out = self.handle_event(json.loads(body) if body else {})
                data = json.dumps(out).encode() if out is not None else b""
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                             + str(len(data)).encode() + b"\r\n\r\n" + data)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # wsgate closed the keep-alive connection, or the soak is over
        finally:
            writer.close()

    def handle_event(self, event):
        ctx = event.get("requestContext", {})
        route, cid = ctx.get("routeKey"), ctx.get("connectionId")
        if route == "$connect":
            tag = (event.get("headers") or {}).get("X-Soak-Client")
            client = self.clients.get(tag)
            if client is not None:
                client.connection_id = cid
                self.by_conn[cid] = client
            self.connected_ids.add(cid)
            return {"statusCode": 200}
        if route == "$disconnect":
            self.stats.inc("disconnect_events")
            self.disconnects[cid] = self.disconnects.get(cid, 0) + 1
            if self.disconnects[cid] > 1:
                self.stats.error(f"$disconnect twice for {cid}")
            if cid not in self.connected_ids:
                self.stats.error(f"$disconnect for unknown connection {cid}")
            return None
        return {"statusCode": 200, "body": event.get("body", "")}

    # ---- wsgate ---------------------------------------------------------------------------------
    def start_wsgate(self, backend_port):
        url = f"http://127.0.0.1:{backend_port}"
        config = {"auth": "none", "routes": {"$connect": {"uri": url + "/connect"},
                                             "$disconnect": {"uri": url + "/disconnect"},
                                             "$default": {"uri": url + "/default", "twoWay": True}}}
        out = Path(self.args.out).resolve()
        (out / "config.json").write_text(json.dumps(config))
        self.gate = WsgateServer(["--config", str(out / "config.json")], out / "wsgate.log",
                                 binary=Path(self.args.wsgate).resolve())
        try:
            self.gate.start()
        except RuntimeError as e:
            raise SystemExit(f"wsgate did not start: {e}")
        self.port = self.gate.port

    # ---- management API -------------------------------------------------------------------------
    async def pusher(self):
        reader = writer = None
        seq = 0
        interval = 1.0 / self.args.push_rate
        while not self.stopping:
            await asyncio.sleep(interval)
            candidates = [c for c in self.clients.values() if c.state == "open" and c.connection_id]
            if not candidates:
                continue
            client = random.choice(candidates)
            seq += 1
            payload = json.dumps({"push": seq, "to": client.tag}).encode()
            cid = client.connection_id
            path = "/local/@connections/" + cid.replace("=", "%3D").replace("/", "%2F").replace("+", "%2B")
            client.pending_pushes[payload.decode()] = time.monotonic()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.write(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nContent-Length: {len(payload)}\r\n\r\n".encode()
                             + payload)
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
                status = int(head.split(b" ", 2)[1])
                m = re.search(rb"(?i)content-length:\s*(\d+)", head)
                if m and int(m.group(1)):
                    await reader.readexactly(int(m.group(1)))
                if b"connection: close" in head.lower():
                    writer.close()
                    writer = None
            except (asyncio.TimeoutError, ConnectionError, asyncio.IncompleteReadError) as exc:
                self.stats.error(f"PostToConnection failed: {exc!r}")
                writer = None
                continue
            self.stats.inc("pushes_sent")
            if status != 200:
                client.pending_pushes.pop(payload.decode(), None)
                if client.state == "open" and client.connection_id == cid:
                    self.stats.error(f"PostToConnection {cid} answered {status} while the client is open")

    # ---- clients --------------------------------------------------------------------------------
    async def client_slot(self, slot):
        await asyncio.sleep(random.uniform(0, self.args.ramp))
        generation = 0
        while not self.stopping:
            generation += 1
            client = Client(self, f"{slot}-{generation}")
            await client.run()

    def take_sample(self, started):
        cols = ["t", "rss_kb", "fds", "open_clients"] + list(self.stats.c)
        t = round(time.monotonic() - started)
        try:
            rss, fds = procstat.rss_kb(self.gate.proc.pid), procstat.fd_count(self.gate.proc.pid)
        except (OSError, AssertionError):
            rss, fds = -1, -1
        open_clients = sum(1 for c in self.clients.values() if c.state == "open")
        row = [t, rss, fds, open_clients] + [self.stats.c[k] for k in self.stats.c]
        if not self.samples:
            self.csv.write(",".join(cols) + "\n")
        self.csv.write(",".join(map(str, row)) + "\n")
        self.csv.flush()
        print("sample " + " ".join(f"{k}={v}" for k, v in zip(cols, row)), flush=True)
        self.samples.append(dict(zip(cols, row)))

    async def sampler(self, started):
        while not self.stopping:
            self.take_sample(started)
            await asyncio.sleep(10)

    async def main(self):
        Path(self.args.out).mkdir(parents=True, exist_ok=True)
        backend = await asyncio.start_server(self.backend_conn, "127.0.0.1", 0, backlog=1024)
        self.start_wsgate(backend.sockets[0].getsockname()[1])
        self.samples = []
        self.csv = open(Path(self.args.out) / "samples.csv", "w")
        started = time.monotonic()
        sampler = asyncio.create_task(self.sampler(started))
        tasks = [asyncio.create_task(self.client_slot(i)) for i in range(self.args.clients)]
        tasks.append(asyncio.create_task(self.pusher()))
        await asyncio.sleep(self.args.seconds)
        self.stopping = True
        # every client leaves cleanly, then every $disconnect must have arrived
        await asyncio.wait(tasks, timeout=60)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(self.disconnects) < len(self.connected_ids):
            await asyncio.sleep(0.2)
        missing = self.connected_ids - set(self.disconnects)
        if missing:
            self.stats.error(f"{len(missing)} connections never got their $disconnect")
        await asyncio.sleep(1)
        sampler.cancel()
        self.take_sample(started)   # every client has left
        problems = self.gate.stop(timeout=15)
        code = "hung" if self.gate.exit_status is None else self.gate.exit_status
        if code != 0:
            self.stats.error(f"wsgate exit status {code} after SIGTERM")
        for problem in problems:
            if problem.startswith("log contains"):
                self.stats.error(f"wsgate {problem}")
        backend.close()
        first, last = self.samples[0], self.samples[-1]
        busy = [s for s in self.samples if s["open_clients"] > 0]
        summary = {"seconds": self.args.seconds, "clients": self.args.clients, "counters": self.stats.c,
                   "rss_kb_start": first["rss_kb"], "rss_kb_end_loaded": busy[-1]["rss_kb"] if busy else None,
                   "rss_kb_max": max(s["rss_kb"] for s in self.samples), "rss_kb_after_all_left": last["rss_kb"],
                   "fds_start": first["fds"], "fds_max": max(s["fds"] for s in self.samples),
                   "fds_after_all_left": last["fds"], "wsgate_exit": code, "errors": self.stats.error_samples}
        (Path(self.args.out) / "summary.json").write_text(json.dumps(summary, indent=2))
        print(json.dumps(summary, indent=2), flush=True)
        return 0 if self.stats.c["errors"] == 0 else 1


class Client:
    def __init__(self, soak, tag):
        self.soak = soak
        self.tag = tag
        self.connection_id = None
        self.state = "connecting"
        self.pending_echo = {}       # body -> sent at
        self.pending_pushes = {}     # body -> sent at
        self.got_close = None

    async def run(self):
        soak, stats = self.soak, self.soak.stats
        soak.clients[self.tag] = self
        try:
            try:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", soak.port)
                self.writer.write(handshake_request("/local", f"127.0.0.1:{soak.port}", [f"X-Soak-Client: {self.tag}"]))
                head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 15)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as exc:
                stats.error(f"{self.tag}: handshake failed: {exc!r}")
                await asyncio.sleep(1)
                return
            if not head.startswith(b"HTTP/1.1 101"):
                stats.error(f"{self.tag}: handshake answered {head[:30]!r}")
                self.writer.close()
                return
            stats.inc("connects")
            self.state = "open"
            reader_task = asyncio.create_task(self.read_loop())
            lifetime = random.uniform(30, 180)
            end = time.monotonic() + lifetime
            seq = 0
            while not soak.stopping and time.monotonic() < end and self.state == "open":
                await asyncio.sleep(random.uniform(2, 6))
                if self.state != "open":
                    break
                seq += 1
                body = json.dumps({"action": "soak", "c": self.tag, "seq": seq})
                self.pending_echo[body] = time.monotonic()
                self.writer.write(build_frame(OP_TEXT, body.encode()))
                stats.inc("messages_sent")
                self.check_overdue()
            if self.state != "open":
                if not reader_task.done():
                    reader_task.cancel()
                return
            # leave: wait for the outstanding echoes and pushes first (bounded), then close
            deadline = time.monotonic() + ECHO_TIMEOUT
            while (self.pending_echo or self.pending_pushes) and time.monotonic() < deadline and self.state == "open":
                await asyncio.sleep(0.2)
            self.check_overdue(final=True)
            self.state = "closing"
            how = random.random()
            if how < 0.8 or soak.stopping:
                self.writer.write(build_frame(OP_CLOSE, struct.pack("!H", 1000) + b"bye"))
                stats.inc("closes_1000")
            elif how < 0.9:
                self.writer.write(build_frame(OP_CLOSE, b""))
                stats.inc("closes_nocode")
            else:
                sock = self.writer.get_extra_info("socket")
                sock.setsockopt(__import__("socket").SOL_SOCKET, __import__("socket").SO_LINGER, struct.pack("ii", 1, 0))
                self.writer.transport.abort()
                stats.inc("resets")
                reader_task.cancel()
                return
            try:
                await asyncio.wait_for(reader_task, 10)
            except asyncio.TimeoutError:
                stats.error(f"{self.tag}: no close reply within 10 s")
            self.writer.close()
        finally:
            self.state = "closed"
            soak.clients.pop(self.tag, None)

    def check_overdue(self, final=False):
        now = time.monotonic()
        for what, pending, limit in (("echo", self.pending_echo, ECHO_TIMEOUT), ("push", self.pending_pushes, PUSH_TIMEOUT)):
            for body, at in list(pending.items()):
                if final or now - at > limit:
                    pending.pop(body)
                    self.soak.stats.error(f"{self.tag} ({self.connection_id}): {what} not received after {now - at:.1f} s")

    async def read_frame(self):
        h = await self.reader.readexactly(2)
        n = h[1] & 0x7F
        if n == 126:
            n = struct.unpack("!H", await self.reader.readexactly(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", await self.reader.readexactly(8))[0]
        return h[0] & 0x0F, await self.reader.readexactly(n)

    async def read_loop(self):
        stats = self.soak.stats
        try:
            while True:
                op, payload = await self.read_frame()
                if op == OP_TEXT:
                    text = payload.decode()
                    if text in self.pending_echo:
                        del self.pending_echo[text]
                        stats.inc("echoes")
                    elif text in self.pending_pushes:
                        del self.pending_pushes[text]
                        stats.inc("pushes_received")
                    else:
                        stats.error(f"{self.tag}: unexpected message {text[:100]!r}")
                elif op == OP_PING:
                    self.writer.write(build_frame(OP_PONG, payload))
                elif op == OP_CLOSE:
                    if self.state != "closing":
                        stats.error(f"{self.tag}: server closed the connection: {payload!r}")
                        self.state = "closed"
                        self.writer.write(build_frame(OP_CLOSE, payload[:2]))
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            if self.state != "closing":
                stats.error(f"{self.tag}: connection lost")
                self.state = "closed"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--wsgate", required=True)
    p.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_SECONDS", 600)))
    p.add_argument("--clients", type=int, default=int(os.environ.get("SOAK_CLIENTS", 1000)))
    p.add_argument("--push-rate", type=float, default=float(os.environ.get("SOAK_PUSH_RATE", 50)))
    p.add_argument("--ramp", type=float, default=10.0, help="seconds over which the clients first connect")
    p.add_argument("--out", required=True, help="directory for samples.csv, summary.json, wsgate.log")
    args = p.parse_args()
    sys.exit(asyncio.run(Soak(args).main()))


if __name__ == "__main__":
    main()
