"""wsgate for Python: the packaged binary, a `start()` context manager for tests, and (in
wsgate.pytest_plugin) the `wsgate` pytest fixture.

    import wsgate
    with wsgate.start(backend="http://127.0.0.1:4000/") as gw:
        gw.ws_url               # ws://127.0.0.1:PORT/local
        gw.management_endpoint  # http://127.0.0.1:PORT/local  (boto3 endpoint_url)

Leaving the block sends SIGTERM and waits: wsgate closes every client with 1001 and delivers every
$disconnect before it exits. Only the process started here is ever signalled.
"""
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager

__all__ = ["start", "Wsgate", "binary_path", "WsgateBinaryError", "WsgateStartError"]
__version__ = "0.1.0"

_HERE = os.path.dirname(os.path.abspath(__file__))
_PLATFORMS = {("Linux", "x86_64")}
_PORT_RE = re.compile(r"listening on http://\S+:(\d+)")
_WS_RE = re.compile(r"WebSocket API:\s+(ws://\S+)")
_MGMT_RE = re.compile(r"management API:\s+(http://\S+?)/@connections/")


class WsgateBinaryError(RuntimeError):
    """No wsgate binary for this machine."""


class WsgateStartError(RuntimeError):
    """wsgate exited, or did not answer /health in time; the message carries its log."""


def binary_path():
    """The wsgate executable: $WSGATE_BINARY, else the one inside this wheel."""
    env = os.environ.get("WSGATE_BINARY")
    if env:
        if not os.path.isfile(env):
            raise WsgateBinaryError(f"wsgate: WSGATE_BINARY={env} does not exist")
        return env
    exe = os.path.join(_HERE, "_bin", "bin", "wsgate")
    if not os.path.isfile(exe):
        here = f"{platform.system()}-{platform.machine()}"
        raise WsgateBinaryError(
            f"wsgate: this installation has no binary for {here} (wheels exist for: linux-x86_64).\n"
            "  Use the container image, build from source (the wsgate README, \"Install\"), or point\n"
            "  WSGATE_BINARY at a wsgate executable.")
    if not os.access(exe, os.X_OK):  # an installer that dropped the mode bits
        os.chmod(exe, 0o755)
    return exe


def _credentials(creds):
    """'AKID:SECRET', ('AKID', 'SECRET'), {'accessKeyId': ..., 'secretAccessKey': ...}, or a list of them."""
    if not creds:
        return []
    if isinstance(creds, (str, dict, tuple)):
        creds = [creds]
    out = []
    for c in creds:
        if isinstance(c, dict):
            out.append(f"{c['accessKeyId']}:{c['secretAccessKey']}")
        elif isinstance(c, tuple) and len(c) == 2:
            out.append(f"{c[0]}:{c[1]}")
        elif isinstance(c, str) and ":" in c:
            out.append(c)
        else:
            raise ValueError(f"wsgate: credentials {c!r} is not AKID:SECRET")
    return out


class Wsgate:
    """A running wsgate process (see start())."""

    def __init__(self, args, env=None, cwd=None, binary=None, start_timeout=15.0, host="127.0.0.1",
                 region=None, cleanup_dir=None):
        self.args = [binary or binary_path()] + list(args)
        self.logs = []
        self.region = region or "us-east-1"
        self.port = None
        self.ws_url = None
        self.management_endpoint = None
        self._host = host
        self._client_host = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(host, host)
        self._cleanup_dir = cleanup_dir
        self._lock = threading.Lock()
        self.process = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}, cwd=cwd)
        self.pid = self.process.pid
        self._reader = threading.Thread(target=self._read, name=f"wsgate-log-{self.pid}", daemon=True)
        self._reader.start()
        try:
            self._wait_ready(start_timeout)
        except BaseException:
            self.stop()
            raise

    def _read(self):
        for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._lock:
                self.logs.append(line)
                m = _PORT_RE.search(line)
                if m:
                    self.port = int(m.group(1))
                m = _WS_RE.search(line)
                if m:
                    self.ws_url = m.group(1).replace(f"//{self._host}:", f"//{self._client_host}:")
                m = _MGMT_RE.search(line)
                if m:
                    self.management_endpoint = m.group(1).replace(f"//{self._host}:", f"//{self._client_host}:")

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                self._reader.join(5)
                raise WsgateStartError(f"wsgate exited with status {self.process.returncode} before it was ready:\n"
                                       + "\n".join(self.logs))
            if self.port and self.ws_url and self.management_endpoint:
                try:
                    with urllib.request.urlopen(f"http://{self._client_host}:{self.port}/health", timeout=1) as r:
                        if r.status == 200:
                            return
                except OSError:
                    pass
            if time.monotonic() > deadline:
                raise WsgateStartError(f"wsgate did not answer /health within {timeout} s:\n" + "\n".join(self.logs))
            time.sleep(0.05)

    @property
    def log_text(self):
        with self._lock:
            return "\n".join(self.logs)

    def stop(self, timeout=10.0):
        """SIGTERM, wait (SIGKILL after `timeout`); returns the exit status. Idempotent."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(5)
        if self._cleanup_dir:
            shutil.rmtree(self._cleanup_dir, ignore_errors=True)
            self._cleanup_dir = None
        return self.process.returncode

    def __repr__(self):
        return f"<Wsgate pid={self.pid} ws_url={self.ws_url!r}>"


def launch(backend=None, config=None, routes=None, functions=None, authorizer=None, port=0, host="127.0.0.1",
           stage=None, region=None, auth=None, credentials=None, verbose=False, test_control=False, args=(),
           env=None, cwd=None, binary=None, start_timeout=15.0):
    """Starts wsgate and returns a ready Wsgate (call .stop()); start() is the context-manager form.
    `config` is a file path or a dict; `routes`/`functions`/`authorizer` are the config file's keys.
    `test_control` adds --test-control (the test-control API, and GET /_wsgate/connections without a
    signature; otherwise the listing is guarded like @connections)."""
    cwd = cwd or os.getcwd()
    argv = ["--host", host, "--port", str(port)]
    if stage:
        argv += ["--stage", stage]
    doc = dict(config) if isinstance(config, dict) else None
    for key, value in (("routes", routes), ("functions", functions), ("authorizer", authorizer)):
        if value is None:
            continue
        if isinstance(config, (str, os.PathLike)):
            raise ValueError(f"wsgate: give {key!r} inside the config file, or pass config as a dict")
        doc = doc or {}
        doc[key] = value
    if doc and isinstance(doc.get("functions"), dict):
        doc["functions"] = {name: ({**fn, "codeUri": os.path.join(cwd, fn["codeUri"])}
                                   if isinstance(fn, dict) and isinstance(fn.get("codeUri"), str)
                                   and not os.path.isabs(fn["codeUri"]) else fn)
                            for name, fn in doc["functions"].items()}
    tmp = None
    if isinstance(config, (str, os.PathLike)):
        argv += ["--config", os.path.join(cwd, os.fspath(config))]
    if doc is not None:
        tmp = tempfile.mkdtemp(prefix="wsgate-")
        path = os.path.join(tmp, "wsgate.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        argv += ["--config", path]
    if backend:
        argv += ["--backend", backend]
    if auth:
        argv += ["--auth", auth]
    for c in _credentials(credentials):
        argv += ["--credentials", c]
    if region:
        argv += ["--region", region]
    if verbose:
        argv.append("--verbose")
    if test_control:
        argv.append("--test-control")
    argv += list(args)
    try:
        return Wsgate(argv, env=env, cwd=cwd, binary=binary, start_timeout=start_timeout, host=host,
                      region=region, cleanup_dir=tmp)
    except BaseException:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextmanager
def start(**kwargs):
    """with wsgate.start(backend=..., routes=..., auth=..., credentials=...) as gw: ... (see launch())."""
    gw = launch(**kwargs)
    try:
        yield gw
    finally:
        gw.stop()
