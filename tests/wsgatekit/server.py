"""Start and stop the real wsgate binary.

The server is started on `--port 0 --host 127.0.0.1`; the chosen port is parsed from the stderr line
containing `listening on http://127.0.0.1:PORT` (README.md, "Command line"). stdout and stderr go to one log
file so a failing test can show what the server said. Stopping is by PID only: SIGTERM, then SIGKILL
after 5 s.
"""
import http.client
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
LISTEN_RE = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
# Signs of a sanitizer build finding a bug; any of these in the log fails the test.
SANITIZER_MARKERS = ("AddressSanitizer", "runtime error:", "LeakSanitizer")


def wsgate_binary():
    """The binary under test: env WSGATE_BIN, else build/wsgate under the repository root."""
    path = os.environ.get("WSGATE_BIN")
    return Path(path) if path else REPO_ROOT / "build" / "wsgate"


class WsgateServer:
    """One running wsgate process."""

    def __init__(self, args, log_path, binary=None, env=None):
        self.args = list(args)
        self.env = dict(env) if env else None  # added to (or, value None, removed from) os.environ
        self.binary = Path(binary) if binary else wsgate_binary()
        self.log_path = Path(log_path)
        self.proc = None
        self.port = None
        self.stopped = False
        self.problems = []  # filled by stop(): crash, hang or sanitizer report
        self.exit_status = None

    # ---- lifecycle -------------------------------------------------------------------------
    def start(self):
        binary = self.binary
        if not binary.exists():
            raise RuntimeError(f"wsgate binary not found at {binary} (set WSGATE_BIN)")
        cmd = [str(binary), "--port", "0", "--host", "127.0.0.1"] + self.args
        self._log = open(self.log_path, "wb")
        env = None
        if self.env is not None:
            env = dict(os.environ)
            for key, value in self.env.items():
                if value is None:
                    env.pop(key, None)
                else:
                    env[key] = value
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=str(REPO_ROOT), env=env)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            match = LISTEN_RE.search(self.log_text())
            if match:
                self.port = int(match.group(1))
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"wsgate exited with {self.proc.returncode} before listening:\n"
                                   f"{self.log_text()}")
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"wsgate did not log 'listening on http://127.0.0.1:PORT' within "
                           f"{START_TIMEOUT_S} s:\n{self.log_text()}")

    def stop(self, timeout=STOP_TIMEOUT_S):
        """Stop by PID (SIGTERM, then SIGKILL after `timeout` s); record crashes, hangs and
        sanitizer reports in self.problems (returned), the exit status in self.exit_status (None
        when it had to be killed)."""
        if self.stopped or self.proc is None:
            return self.problems
        self.stopped = True
        code = self.proc.poll()
        if code is not None:
            self.problems.append(f"wsgate exited on its own during the test (status {code})")
        else:
            self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(timeout=timeout)
                if code not in (0, -signal.SIGTERM):
                    self.problems.append(f"wsgate exited with status {code} after SIGTERM")
            except subprocess.TimeoutExpired:
                code = None
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT_S)
                self.problems.append(f"wsgate did not exit within {timeout} s of SIGTERM")
        self.exit_status = code
        self._log.close()
        text = self.log_text()
        for marker in SANITIZER_MARKERS:
            if marker in text:
                summary = [line.strip() for line in text.splitlines()
                           if marker in line and ("ERROR" in line or "SUMMARY" in line)][:2]
                self.problems.append(f"log contains {marker!r}: {' | '.join(summary)}")
        return self.problems

    # ---- accessors -------------------------------------------------------------------------
    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    @property
    def host(self):
        return f"127.0.0.1:{self.port}"

    @property
    def http_url(self):
        return f"http://127.0.0.1:{self.port}"

    def get_json(self, path, timeout=5.0):
        """GET http://127.0.0.1:PORT{path}; returns (status, parsed JSON body or None, headers)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
            try:
                parsed = json.loads(body) if body else None
            except ValueError:
                parsed = None
            return resp.status, parsed, resp.headers
        finally:
            conn.close()

    def connections(self, credentials=None):
        """Open connection ids from GET /_wsgate/connections, signed like a management API call
        (the listing is guarded by --auth unless --test-control is on); `credentials` =
        (akid, secret) for strict mode, else wsgatekit.mgmt's example key."""
        from wsgatekit import mgmt  # late: mgmt imports boto3, which this module does not need
        kw = {"credentials": credentials} if credentials else {}
        resp = mgmt.raw_request(self.port, "GET", "/_wsgate/connections", **kw)
        assert resp.status == 200, f"/_wsgate/connections answered {resp.status}: {resp.body!r}"
        return json.loads(resp.body)["connections"]

    def ws_url(self, stage="local", query=""):
        url = f"ws://127.0.0.1:{self.port}/{stage}"
        return url + ("?" + query if query else "")


def run_cli(args, timeout=10.0):
    """Run wsgate with `args` expecting it to exit by itself (CLI errors). Returns CompletedProcess."""
    return subprocess.run([str(wsgate_binary())] + list(args), capture_output=True,
                          stdin=subprocess.DEVNULL, timeout=timeout, cwd=str(REPO_ROOT))
