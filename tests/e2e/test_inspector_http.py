"""The inspector at /_wsgate/ over HTTP (README.md "Inspector", docs/inspector.md): the page and its
headers, the event stream's content and order, access rules, refused-signature detail, actions and
export (the browser test, test_inspector_browser.py, drives the same through the page)."""
import json
import re
import subprocess
import time

import pytest

from websocket import ABNF

from wsgatekit import mgmt, wsclient
from wsgatekit.inspector import EventStream, act, conn_path, flood_pushes
from wsgatekit.server import wsgate_binary


@pytest.fixture
def streams():
    opened = []

    def open_(port, **kw):
        s = EventStream(port, **kw)
        opened.append(s)
        return s

    yield open_
    for s in opened:
        s.close()


def test_page_assets_types_and_csp(gate):
    status, _, headers = gate.get_json("/_wsgate/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    resp = mgmt.raw_request(gate.port, "GET", "/_wsgate/", sign=False)
    html = resp.body.decode()
    # no inline script, nothing loaded from elsewhere
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert re.findall(r"(?:src|href)=\"(?!/_wsgate/)", html) == []
    js = mgmt.raw_request(gate.port, "GET", "/_wsgate/assets/inspector.js", sign=False)
    assert js.status == 200 and js.header("Content-Type") == "text/javascript; charset=utf-8"
    assert b"innerHTML" not in js.body
    css = mgmt.raw_request(gate.port, "GET", "/_wsgate/assets/inspector.css", sign=False)
    assert css.status == 200 and css.header("Content-Type") == "text/css; charset=utf-8"
    assert mgmt.raw_request(gate.port, "GET", "/_wsgate/assets/nope.js", sign=False).status == 404
    moved = mgmt.raw_request(gate.port, "GET", "/_wsgate", sign=False)
    assert moved.status == 301 and moved.header("Location") == "/_wsgate/"


def test_stream_shows_frames_events_answers_in_order(gate, backend, open_client, streams):
    stream = streams(gate.port)
    assert stream.status == 200
    assert stream.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    backend.set_answer("$default", 200, json.dumps({"statusCode": 200, "body": "answered"}).encode())
    ws, connect = open_client(gate, backend, query="room=1&X-Amz-Signature=topsecret",
                              headers=["Authorization: Bearer hunter2"])
    cid = connect.context["connectionId"]
    texts = ["first <script>alert(1)</script>", "second", "third"]
    for t in texts:
        ws.send(t)
    for _ in texts:
        backend.wait_for_event("$default", connection_id=cid)
    opened = stream.wait_for(lambda e: e["kind"] == "open" and e["conn"] == cid)
    assert opened["query"] == "room=1&X-Amz-Signature=(redacted)"
    stream.wait_for(lambda e: sum(1 for x in stream.entries if x["kind"] == "answer" and x.get("conn") == cid
                                  and x["routeKey"] == "$default") == 3, what="three answers")
    mine = [e for e in stream.entries if e.get("conn") == cid]
    seqs = [e["seq"] for e in stream.entries]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    # each message: frame in, then its event, then the answer (with latency), in the order sent
    ins = [e for e in mine if e["kind"] == "frame" and e["dir"] == "in"]
    assert [e["data"] for e in ins] == texts
    for frame in ins:
        call = next(e for e in mine if e["kind"] == "call" and e["seq"] > frame["seq"])
        assert call["routeKey"] == "$default" and call["event"]["body"] == frame["data"]
        answer = next(e for e in mine if e["kind"] == "answer" and e["requestId"] == call["requestId"])
        assert answer["status"] == 200 and answer["response"]["body"].startswith('{"statusCode"')
        assert answer["latencyMs"] >= 0 and answer["seq"] > call["seq"]
    connect_call = next(e for e in mine if e["kind"] == "call" and e["routeKey"] == "$connect")
    assert connect_call["event"]["headers"]["Authorization"] == "(redacted)"
    assert "hunter2" not in json.dumps(stream.entries) and "topsecret" not in json.dumps(stream.entries)
    ws.close()
    closed = stream.wait_for(lambda e: e["kind"] == "closed" and e["conn"] == cid)
    assert closed["by"] == "client" and closed["code"] == 1000
    stream.wait_for(lambda e: e["kind"] == "call" and e["routeKey"] == "$disconnect" and e["conn"] == cid)


def test_resume_and_history_bound(wsgate, backend, open_client, streams):
    server = wsgate("--backend", backend.url("/events"), "--inspector-history", "5")
    first = streams(server.port)
    ws, connect = open_client(server, backend)
    for i in range(4):
        ws.send(f"m{i}")
    backend.wait_for_events("$default", 4)
    # the first page keeps the recording on; wait until the ring is quiet (a page may skip entries
    # with a gap line when more than --inspector-history arrive within one 20 ms push, as here)
    next_seq, quiet_since = None, time.monotonic()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        status, state, _ = server.get_json("/_wsgate/api/state")
        if state["nextSeq"] != next_seq:
            next_seq, quiet_since = state["nextSeq"], time.monotonic()
        elif time.monotonic() - quiet_since > 0.5:
            break
        time.sleep(0.05)
    assert first.entries, "the first page received nothing"
    # a page opened now gets only the 5 entries kept
    assert next_seq > 6
    second = streams(server.port)
    second.wait_for(lambda e: e["seq"] == next_seq - 1)
    assert [e["seq"] for e in second.entries][:5] == list(range(next_seq - 5, next_seq))
    # resuming with Last-Event-ID sends only what follows
    third = streams(server.port, headers={"Last-Event-ID": str(next_seq - 2)})
    third.wait_for(lambda e: e["seq"] == next_seq - 1)
    assert [e["seq"] for e in third.entries][0] == next_seq - 1
    status, state, _ = server.get_json("/_wsgate/api/state")
    assert status == 200 and state["history"] == 5 and state["connections"][0]["id"] == connect.context["connectionId"]


def test_not_served_with_no_inspector(wsgate, backend):
    server = wsgate("--backend", backend.url("/events"), "--no-inspector")
    for path in ("/_wsgate/", "/_wsgate/api/events", "/_wsgate/assets/inspector.js"):
        resp = mgmt.raw_request(server.port, "GET", path, sign=False)
        assert resp.status == 403 and resp.json() == {"message": "Forbidden"}, (path, resp.status)


def test_strict_needs_a_signature(wsgate, backend):
    secret = "strict-secret-0123456789"
    server = wsgate("--backend", backend.url("/events"), "--auth", "strict", "--credentials", f"AKIDINSPECT:{secret}")
    resp = mgmt.raw_request(server.port, "GET", "/_wsgate/", sign=False)
    assert resp.status in (401, 403) and resp.header("x-amzn-ErrorType") == "MissingAuthenticationTokenException"
    resp = mgmt.raw_request(server.port, "GET", "/_wsgate/api/state", credentials=("AKIDINSPECT", "wrong"))
    assert resp.status == 403 and resp.header("x-amzn-ErrorType") == "InvalidSignatureException"
    resp = mgmt.raw_request(server.port, "GET", "/_wsgate/api/state", credentials=("AKIDINSPECT", secret))
    assert resp.status == 200 and resp.json()["auth"] == "strict"


def test_refused_signature_shows_both_sides(wsgate, backend, open_client, streams):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    secret = "the-right-secret-0123456789"
    server = wsgate("--backend", backend.url("/events"), "--auth", "strict", "--test-control",
                    "--credentials", f"AKIDINSPECT:{secret}")
    stream = streams(server.port)
    ws, connect = open_client(server, backend)
    cid = connect.context["connectionId"]
    path = mgmt.connection_path(cid)
    # sign exactly as mgmt.raw_request does, keeping botocore's canonical request
    host = f"127.0.0.1:{server.port}"
    request = AWSRequest(method="POST", url=f"http://{host}{path}", data=b"hi", headers={"Host": host})
    signer = SigV4Auth(Credentials("AKIDINSPECT", "a-wrong-secret"), "execute-api", mgmt.REGION)
    signer.add_auth(request)
    authorization = request.headers["Authorization"]
    del request.headers["Authorization"]
    theirs = signer.canonical_request(request)   # what botocore signed
    request.headers["Authorization"] = authorization
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("POST", path, body=b"hi", headers=dict(request.headers.items()))
    assert conn.getresponse().status == 403
    conn.close()
    entry = stream.wait_for(lambda e: e["kind"] == "mgmt" and e.get("signature"))
    assert entry["status"] == 403 and entry["errorType"] == "InvalidSignatureException" and entry["conn"] == cid
    sig = entry["signature"]
    assert sig["canonicalRequest"] == theirs       # same request seen: the secret is what differs
    assert sig["stringToSign"].startswith("AWS4-HMAC-SHA256\n")
    assert sig["signedHeaders"] == "host;x-amz-date"
    assert sig["clientSignature"] == request.headers["Authorization"].rsplit("Signature=", 1)[1]
    assert sig["accessKeyId"] == "AKIDINSPECT"
    assert ["Authorization", "(redacted)"] in sig["headers"]
    assert secret not in json.dumps(entry)


def test_actions(gate, backend, open_client, streams):
    stream = streams(gate.port)
    ws, connect = open_client(gate, backend)
    cid = connect.context["connectionId"]
    # the header that a cross-site page cannot send is required
    assert act(gate.port, conn_path(cid, "post"), {"data": "x"}, header=False)[0] == 403
    # send as the client: routed to its integration like a frame from it
    status, _ = act(gate.port, conn_path(cid, "send"), {"data": '{"action":"fromPage"}'})
    assert status == 200
    rec = backend.wait_for_event("$default", connection_id=cid)
    assert rec.event["body"] == '{"action":"fromPage"}'
    # PostToConnection: the client receives it
    assert act(gate.port, conn_path(cid, "post"), {"data": "pushed from the page"})[0] == 200
    assert wsclient.recv_text(ws) == "pushed from the page"
    # replay the recorded $default event to its integration
    call = stream.wait_for(lambda e: e["kind"] == "call" and e["routeKey"] == "$default")
    status, body = act(gate.port, "/_wsgate/api/replay", {"seq": call["seq"]})
    assert status == 202
    backend.wait_for_events("$default", 2, connection_id=cid)
    stream.wait_for(lambda e: e["kind"] == "answer" and e["requestId"] == body["requestId"])
    assert act(gate.port, "/_wsgate/api/replay", {"seq": 999999})[0] == 404
    # bad input
    assert act(gate.port, conn_path(cid, "close"), {"code": 1005})[0] == 400
    assert act(gate.port, conn_path("AAAAAAAAAAAAAAA=", "post"), {"data": "x"})[0] == 410
    # close with a code and reason: the client sees it, $disconnect reports it
    assert act(gate.port, conn_path(cid, "close"), {"code": 4001, "reason": "from the page"})[0] == 202
    code, reason, _ = wsclient.wait_close(ws)
    assert (code, reason) == (4001, "from the page")
    disc = backend.wait_for_event("$disconnect", connection_id=cid)
    assert disc.context["disconnectStatusCode"] == 4001


def test_export_replays_with_wsgate_replay(gate, backend, open_client, streams, tmp_path, unused_port):
    stream = streams(gate.port)
    backend.set_answer("$default", 200, json.dumps({"statusCode": 200, "body": "ok"}).encode())
    ws, connect = open_client(gate, backend)
    cid = connect.context["connectionId"]
    ws.send('{"action":"one"}')
    backend.wait_for_event("$default", connection_id=cid)
    stream.wait_for(lambda e: e["kind"] == "answer" and e["routeKey"] == "$default")
    status, body = act(gate.port, "/_wsgate/api/export", {"connectionId": cid})
    assert status == 200, body
    from pathlib import Path
    out = Path(body["dir"])
    files = sorted(p.name for p in out.glob("*.json"))
    assert files == ["0001-connect.json", "0002-default.json"], files
    doc = json.loads((out / "0002-default.json").read_text())
    assert doc["routeKey"] == "$default" and doc["event"]["body"] == '{"action":"one"}'
    assert doc["response"] == {"status": 200, "body": json.dumps({"statusCode": 200, "body": "ok"})}
    try:
        run = subprocess.run([str(wsgate_binary()), "replay", "--backend", backend.url("/events"),
                              "--port", str(unused_port), str(out)],
                             capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
        assert run.returncode == 0, run.stdout.decode() + run.stderr.decode()
    finally:
        import shutil
        shutil.rmtree(out, ignore_errors=True)


def test_loopback_inspector_refuses_other_host_names(gate):
    """DNS rebinding: a page at evil.example resolving to 127.0.0.1 must not read the inspector."""
    import http.client
    for host, want in ((f"evil.example:{gate.port}", 403), (f"localhost:{gate.port}", 200), (gate.host, 200)):
        conn = http.client.HTTPConnection("127.0.0.1", gate.port, timeout=5)
        conn.request("GET", "/_wsgate/api/state", headers={"Host": host})
        resp = conn.getresponse()
        resp.read()
        conn.close()
        assert resp.status == want, (host, resp.status)


def test_function_invocations_and_logs(wsgate, streams):
    """Functions wsgate runs itself: each invocation's start, its log lines and its end."""
    import sys
    from wsgatekit.server import REPO_ROOT
    python_dir = REPO_ROOT / "tests" / "data" / "functions" / "python"
    server = wsgate("--runtime", f"python3.12={sys.executable}", config={
        "routes": {"$default": {"function": "Py", "twoWay": True}},
        "functions": {"Py": {"runtime": "python3.12", "handler": "app.handler", "codeUri": str(python_dir)}}})
    stream = streams(server.port)
    ws = wsclient.connect(server.ws_url(), timeout=15)
    ws.send(json.dumps({"action": "hello"}))
    assert json.loads(wsclient.recv_text(ws, timeout=20))["unknown"] == "hello"
    start = stream.wait_for(lambda e: e["kind"] == "function" and e["what"] == "start", timeout=10)
    assert start["function"] == "Py"
    log = stream.wait_for(lambda e: e["kind"] == "function" and e["what"] == "log" and "route $default" in e["text"])
    end = stream.wait_for(lambda e: e["kind"] == "function" and e["what"] == "end")
    assert log["requestId"] == start["requestId"] == end["requestId"]
    assert start["seq"] < log["seq"] < end["seq"] and end["durationMs"] > 0
    call = stream.wait_for(lambda e: e["kind"] == "call" and e["routeKey"] == "$default")
    assert call["integration"] == "function" and call["target"] == "Py"
    # tied to the connection and the event that caused them: they show in that connection's timeline
    for e in (start, log, end):
        assert e["conn"] == call["conn"] and e["eventRequestId"] == call["requestId"], e
    assert call["seq"] < start["seq"]
    ws.close()


def test_pings_and_pongs_shown(gate, backend, open_client, streams):
    """A client's ping and the pong wsgate answers it with (wslay queues it), and a client's pong."""
    stream = streams(gate.port)
    ws, connect = open_client(gate, backend)
    cid = connect.context["connectionId"]
    ws.ping(b"are you there")
    ws.sock.settimeout(5)
    assert ws.recv_data(control_frame=True) == (ABNF.OPCODE_PONG, b"are you there")
    ws.ping(b"\x00\xff<b>")  # not printable: shown in hex
    assert ws.recv_data(control_frame=True) == (ABNF.OPCODE_PONG, b"\x00\xff<b>")
    ws.pong(b"unsolicited")
    ws.send("after")
    stream.wait_for(lambda e: e["kind"] == "frame" and e.get("conn") == cid and e.get("data") == "after")
    mine = [e for e in stream.entries if e.get("conn") == cid and e["kind"] == "frame" and "control" in e]
    assert [(e["dir"], e["control"], e.get("data"), e.get("dataHex"), e["len"]) for e in mine] == [
        ("in", "ping", "are you there", None, 13),
        ("out", "pong", "are you there", None, 13),
        ("in", "ping", None, "00ff3c623e", 5),
        ("out", "pong", None, "00ff3c623e", 5),
        ("in", "pong", "unsolicited", None, 11),
    ]
    ws.close()


def test_held_stream_records_but_sends_nothing(gate, backend, open_client, streams):
    """?hold=1 (a hidden page): wsgate keeps recording for it but streams nothing; the page resumes
    with ?since=SEQ and gets what it missed from the ring."""
    held = streams(gate.port, path="/_wsgate/api/events?hold=1")
    assert held.status == 200
    ws, connect = open_client(gate, backend)
    cid = connect.context["connectionId"]
    ws.send("while hidden")
    backend.wait_for_event("$default", connection_id=cid)
    resumed = streams(gate.port, path="/_wsgate/api/events?since=0")
    resumed.wait_for(lambda e: e["kind"] == "frame" and e.get("conn") == cid and e.get("data") == "while hidden")
    resumed.wait_for(lambda e: e["kind"] == "answer" and e.get("conn") == cid and e["routeKey"] == "$default")
    first = resumed.entries[0]["seq"]
    # everything since the handshake was recorded for the held page alone
    assert first == 1 and any(e["kind"] == "open" and e.get("conn") == cid for e in resumed.entries)
    # since=SEQ resumes after SEQ
    later = streams(gate.port, path=f"/_wsgate/api/events?since={first}")
    later.wait_for(lambda e: e["seq"] == first + 1)
    assert later.entries[0]["seq"] == first + 1
    time.sleep(0.3)
    assert held.entries == [] and held.raw == ["retry: 2000"]
    ws.close()


def fetch_entries(port, query):
    resp = mgmt.raw_request(port, "GET", "/_wsgate/api/entries" + query, sign=False)
    assert resp.status == 200 and resp.header("Content-Type") == "application/json"
    return resp.json()


def test_flood_is_thinned_and_every_seq_is_accounted_for(wsgate, backend, open_client, streams):
    """Under a flood a page gets at most its live rate (docs/inspector.md, "Cost and bounds"): the
    newest entries and one "thinned" event per flush naming the seqs it skipped, which the ring still
    holds (GET /_wsgate/api/entries): every seq is either sent or named, never both."""
    server = wsgate("--backend", backend.url("/events"), "--auth", "none", "--inspector-history", "100000")
    began = time.monotonic()
    stream = streams(server.port)
    ws, connect = open_client(server, backend)
    cid = connect.context["connectionId"]
    stream.wait_for(lambda e: e["kind"] == "open" and e["conn"] == cid)
    pushes = flood_pushes(server.port, cid, 1.5)
    assert pushes > 600, "the flood was too slow to test the cap"
    # the ring holds one frame and one @connections entry per push
    next_seq = None
    for _ in range(100):
        status, state, _ = server.get_json("/_wsgate/api/state")
        if state["nextSeq"] == next_seq:
            break
        next_seq = state["nextSeq"]
        time.sleep(0.1)
    stream.wait_for(lambda e: e["seq"] == next_seq - 1, what="the newest entry")
    elapsed = time.monotonic() - began
    with stream._cond:
        raw = list(stream.raw)
        sent = [e["seq"] for e in stream.entries]
    thinned = [json.loads(b.split("data: ", 1)[1]) for b in raw if b.startswith("event: thinned\n")]
    assert thinned, "a flood of %d pushes was not thinned" % pushes
    # one thinned event per flush: each is followed by the newest entries of that flush
    kinds = ["thinned" if b.startswith("event: thinned\n") else "entry" for b in raw if b.startswith(("id:", "event: thinned"))]
    assert all(kinds[i + 1] == "entry" for i, k in enumerate(kinds) if k == "thinned"), kinds[:40]
    # every seq is sent or skipped, exactly once, in order
    skipped = []
    for t in thinned:
        assert t["skipped"] == t["to"] - t["from"] > 0, t
        skipped += range(t["from"], t["to"])
    assert sorted(sent + skipped) == list(range(1, next_seq)), "a seq lost or shown twice"
    # the cap (src/limits.h): a burst of 250, then 200 a second (elapsed is counted generously, from
    # before the page opened)
    assert len(sent) <= 250 + 200 * elapsed + 10, (len(sent), elapsed)
    assert len(skipped) > pushes // 2
    # what was skipped is in the ring: fetch it all (paging on "to") and compare with what was sent
    fetched, at = {}, 1
    while at < next_seq:
        doc = fetch_entries(server.port, f"?from={at}&to={next_seq}")
        assert doc["from"] == at and doc["to"] > at and doc["oldest"] == 1 and doc["nextSeq"] == next_seq
        assert [e["seq"] for e in doc["entries"]] == list(range(at, doc["to"]))
        fetched.update((e["seq"], e) for e in doc["entries"])
        at = doc["to"]
    assert sorted(fetched) == list(range(1, next_seq))
    for e in stream.entries:
        assert fetched[e["seq"]] == e
    frames = [e for e in fetched.values() if e["kind"] == "frame" and e.get("source") == "postToConnection"]
    calls = [e for e in fetched.values() if e["kind"] == "mgmt" and e["method"] == "POST"]
    assert len(frames) == len(calls) == pushes
    # the newest N, and a range past the end
    doc = fetch_entries(server.port, "?last=5")
    assert [e["seq"] for e in doc["entries"]] == list(range(next_seq - 5, next_seq))
    assert fetch_entries(server.port, f"?from={next_seq}")["entries"] == []
    # quiet again: the burst is back, a new message reaches the page whole
    time.sleep(0.6)
    before = len(thinned)
    ws.send("after the flood")
    stream.wait_for(lambda e: e["kind"] == "frame" and e.get("data") == "after the flood")
    stream.wait_for(lambda e: e["kind"] == "answer" and e["seq"] > next_seq)
    assert sum(1 for b in stream.raw if b.startswith("event: thinned\n")) == before
    ws.close()


def test_flood_over_a_small_history_is_thinned_not_gapped(wsgate, backend, open_client, streams):
    """A flood that turns over the whole history between two flushes: what the ring dropped is part
    of the thinned range (one status line on the page), never a "gap" event per flush."""
    server = wsgate("--backend", backend.url("/events"), "--auth", "none", "--inspector-history", "20")
    stream = streams(server.port)
    ws, connect = open_client(server, backend)
    cid = connect.context["connectionId"]
    stream.wait_for(lambda e: e["kind"] == "open" and e["conn"] == cid)
    pushes = flood_pushes(server.port, cid, 1.0)
    status, state, _ = server.get_json("/_wsgate/api/state")
    stream.wait_for(lambda e: e["seq"] >= state["nextSeq"] - 1, what="the newest entry")
    with stream._cond:
        raw = list(stream.raw)
        sent = [e["seq"] for e in stream.entries]
    assert not [b for b in raw if b.startswith("event: gap")], "gap events under a flood"
    thinned = [json.loads(b.split("data: ", 1)[1]) for b in raw if b.startswith("event: thinned\n")]
    assert thinned and sum(t["skipped"] for t in thinned) > pushes
    skipped = [s for t in thinned for s in range(t["from"], t["to"])]
    assert sorted(sent + skipped) == list(range(1, sent[-1] + 1))
    # what the ring still has is the newest 20
    doc = fetch_entries(server.port, "")
    assert [e["seq"] for e in doc["entries"]] == list(range(doc["nextSeq"] - 20, doc["nextSeq"]))
    ws.close()
