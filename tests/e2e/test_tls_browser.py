"""A real browser over TLS: headless Chromium (Debian's `chromium`) with wsgate's CA in its NSS
database opens https://localhost:PORT/health and wss://localhost:PORT/local, and gets the built-in
demo backend's echo. Driven through the DevTools protocol with websocket-client (no extra Python
package, no browser download). README.md, "TLS and callback URLs" (the certutil line).
"""
import itertools
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request

import pytest
import websocket

CHROMIUM = shutil.which("chromium") or "chromium"


class DevTools:
    """The smallest DevTools-protocol client: one page target, Runtime.evaluate and Page.navigate."""

    def __init__(self, ws_url):
        # Chromium refuses DevTools connections that carry an Origin header it does not know
        self.ws = websocket.create_connection(ws_url, timeout=20, suppress_origin=True)
        self.ids = itertools.count(1)

    def call(self, method, **params):
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return reply["result"]

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        return result["result"].get("value")

    def close(self):
        self.ws.close()


@pytest.fixture
def chromium(tmp_path):
    """Headless Chromium whose HOME holds an NSS database; yields (DevTools, nssdb path)."""
    home = tmp_path / "home"
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run(["certutil", "-N", "-d", f"sql:{nssdb}", "--empty-password"], check=True, capture_output=True)
    profile = tmp_path / "profile"
    # --no-sandbox: Chromium's process sandbox cannot run as root (CI); it has nothing to do with TLS,
    # and no certificate-error switch is given
    proc = subprocess.Popen([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                             "--disable-extensions", "--remote-debugging-port=0", f"--user-data-dir={profile}",
                             "about:blank"],
                            env={**os.environ, "HOME": str(home)}, stdout=subprocess.DEVNULL,
                            stderr=open(tmp_path / "chromium.log", "wb"), start_new_session=True)
    devtools = None
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            assert proc.poll() is None, (tmp_path / "chromium.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "Chromium did not open its DevTools port within 30 s"
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            pages = [t for t in json.load(r) if t["type"] == "page"]
        devtools = DevTools(pages[0]["webSocketDebuggerUrl"])
        yield devtools, nssdb
    finally:
        if devtools is not None:
            devtools.close()
        os.killpg(proc.pid, signal.SIGTERM)  # its own session: the renderer and GPU children too
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


ECHO_JS = """new Promise((resolve) => {
  const ws = new WebSocket(%s);
  ws.onopen = () => ws.send(JSON.stringify({action: "echo", message: "from chromium"}));
  ws.onmessage = (e) => { resolve("message: " + e.data); ws.close(); };
  ws.onerror = () => resolve("error");
  setTimeout(() => resolve("timeout"), 10000);
})"""


def test_chromium_wss_with_the_ca_in_nss(wsgate, tmp_path, chromium):
    devtools, nssdb = chromium
    state = tmp_path / "state"
    gate = wsgate("--state-dir", str(state))  # no backend: the demo backend echoes
    other = wsgate("--state-dir", str(tmp_path / "other-state"))  # another CA, not trusted
    # the exact line `wsgate ca` prints, with this test's NSS database
    subprocess.run(["certutil", "-d", f"sql:{nssdb}", "-A", "-t", "C,,", "-n", "wsgate", "-i",
                    str(state / "ca.pem")], check=True, capture_output=True)

    # an https page from wsgate itself loads (a certificate error would show an interstitial)
    devtools.call("Page.navigate", url=f"https://localhost:{gate.port}/health")
    deadline = time.monotonic() + 15
    while devtools.evaluate("location.href + ' ' + document.readyState") != \
            f"https://localhost:{gate.port}/health complete":
        assert time.monotonic() < deadline, devtools.evaluate("location.href + ' ' + document.readyState")
        time.sleep(0.1)
    assert json.loads(devtools.evaluate("document.body.innerText"))["status"] == "ok"

    # from that https page, wss:// to wsgate: the demo backend's echo arrives
    reply = devtools.evaluate(ECHO_JS % json.dumps(f"wss://localhost:{gate.port}/local"))
    assert reply.startswith("message: ") and "from chromium" in reply, reply

    # the control: a wsgate whose CA is not in the NSS database is refused by the browser
    assert devtools.evaluate(ECHO_JS % json.dumps(f"wss://localhost:{other.port}/local")) == "error"
