"""End-to-end checks through a running wsgate container (scripts/podman-test.sh):

    python -m wsgatekit.container_check BASE_URL STAGE [BACKEND_LOG strict]

A real WebSocket client connects; /_wsgate/connections refuses an unsigned request and lists the one
connection to a signed one; the message reaches the backend (BACKEND_LOG: the JSON lines written by
`python -m wsgatekit.backend`) or the demo backend echoes it; a signed PostToConnection reaches the
client; GetConnection shows the client's User-Agent; with `strict`, an unknown key is refused (403);
DeleteConnection closes the client and a later post is GoneException; $disconnect reaches the
backend. Prints one "ok"/"FAIL" line per check; exits 1 if any failed. Every wait is bounded."""
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

import botocore.exceptions

from wsgatekit import mgmt, wsclient
from wsgatekit.wait import poll

KEY = ("AKIDWSGATETEST", "wsgate-test-secret")
USER_AGENT = "wsgate-podman-test"


class Checks:
    def __init__(self):
        self.ok = True

    def check(self, cond, what):
        print(("  ok   " if cond else "  FAIL ") + what, flush=True)
        self.ok = self.ok and bool(cond)


def backend_events(backend_log):
    if not backend_log:
        return []
    with open(backend_log) as f:
        return [json.loads(line) for line in f if line.strip()]


def events_of(backend_log, event_type):
    return [e for e in backend_events(backend_log) if e.get("requestContext", {}).get("eventType") == event_type]


def main(argv):
    base, stage = argv[1], argv[2]
    backend_log = argv[3] if len(argv) > 3 else None
    strict = len(argv) > 4
    url = urllib.parse.urlsplit(base)
    port = url.port
    c = Checks()

    def client(credentials=KEY):
        return mgmt.boto3_client(port, stage, credentials=credentials, endpoint=f"{base}/{stage}")

    ws = wsclient.connect(base.replace("http", "ws", 1) + f"/{stage}?probe=1", timeout=10,
                          headers=[f"User-Agent: {USER_AGENT}"])
    c.check(ws.connected, f"WebSocket connected to /{stage}")
    # the listing is guarded like @connections: unsigned is refused, signed is listed
    try:
        urllib.request.urlopen(f"{base}/_wsgate/connections", timeout=5)
        c.check(False, "/_wsgate/connections refuses an unsigned request")
    except urllib.error.HTTPError as e:
        c.check(e.code == 403, f"/_wsgate/connections refuses an unsigned request ({e.code})")
    listed = mgmt.raw_request(port, "GET", "/_wsgate/connections", credentials=KEY)
    ids = json.loads(listed.body)["connections"] if listed.status == 200 else []
    c.check(len(ids) == 1, f"/_wsgate/connections lists one connection to a signed request ({ids})")
    if not ids:
        return 1
    cid = ids[0]

    if backend_log:
        ev = poll(lambda: events_of(backend_log, "CONNECT"))
        c.check(ev and ev[0]["requestContext"].get("connectionId") == cid
                and ev[0]["requestContext"].get("stage") == stage,
                "backend got $connect with the connectionId and the stage from WSGATE_STAGE")
        ws.send(json.dumps({"action": "hello", "n": 1}))
        ev = poll(lambda: events_of(backend_log, "MESSAGE"))
        c.check(ev and json.loads(ev[0].get("body", "{}")).get("n") == 1, "backend got the message event")
    else:
        ws.send("ping from the test")
        try:
            echo = ws.recv()
        except Exception as e:
            echo = repr(e)
        c.check("ping from the test" in echo, f"demo backend echoed the message ({echo[:80]!r})")

    m = client()
    payload = "pushed through the container"
    m.post_to_connection(ConnectionId=cid, Data=payload.encode())
    got = ws.recv()
    c.check(got == payload, f"client received the signed PostToConnection ({got!r})")
    info = m.get_connection(ConnectionId=cid)
    c.check("ConnectedAt" in info and info.get("Identity", {}).get("UserAgent") == USER_AGENT,
            "GetConnection returns connectedAt and the client's User-Agent")
    if strict:
        try:
            client(("AKIDSOMEONEELSE", "wrong")).post_to_connection(ConnectionId=cid, Data=b"x")
            c.check(False, "--auth strict rejects an unknown key")
        except botocore.exceptions.ClientError as e:
            code = e.response["ResponseMetadata"]["HTTPStatusCode"]
            c.check(code == 403, f"--auth strict rejects an unknown key ({code})")
    m.delete_connection(ConnectionId=cid)
    try:
        _, _, before_close = wsclient.wait_close(ws, 5.0)
        closed = not before_close  # the close (or the end of the connection) came first
    except AssertionError:
        closed = False
    c.check(closed, "DeleteConnection closed the client")
    try:
        m.post_to_connection(ConnectionId=cid, Data=b"late")
        c.check(False, "PostToConnection after delete -> GoneException")
    except m.exceptions.GoneException:
        c.check(True, "PostToConnection after delete -> GoneException")
    if backend_log:
        c.check(poll(lambda: events_of(backend_log, "DISCONNECT")), "backend got $disconnect")
    return 0 if c.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
