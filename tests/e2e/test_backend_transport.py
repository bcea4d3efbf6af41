"""How wsgate reaches its backends (src/httpc.c): a plain-HTTP backend at an IP address is called
from the event loop over a keep-alive pool; a host name, or a proxy set in the environment, sends
the call through libcurl, which applies the proxy as before. Real backends on loopback, the real
binary, a real WebSocket client."""
import time

from wsgatekit import wsclient
from wsgatekit.backend import RecordingBackend


def test_calls_to_an_ip_address_reuse_one_connection(wsgate, backend, open_client):
    """Twenty messages answered one after another travel over one kept-alive connection (the
    backend answers 500, so the client's error frame shows each call finished before the next)."""
    server = wsgate("--backend", backend.url("/events"))
    backend.set_answer("$default", status=500, body="no")
    ws, connect = open_client(server, backend)
    cid = connect.connection_id
    for i in range(20):
        ws.send(f'{{"n": {i}}}')
        assert '"Internal server error"' in wsclient.recv_text(ws)
    messages = backend.events("$default", connection_id=cid)
    assert len(messages) == 20
    peers = {r.peer for r in messages}
    assert len(peers) == 1, f"the 20 calls came over {len(peers)} connections: {sorted(peers)}"
    assert all(r.header("Host") == f"127.0.0.1:{backend.port}" for r in messages)
    ws.close()


def test_a_host_name_goes_through_libcurl(wsgate, backend, open_client):
    """localhost is a name (it may resolve to ::1 and 127.0.0.1; libcurl tries each): the call
    still arrives, with the Host the URL named."""
    server = wsgate("--backend", f"http://localhost:{backend.port}/events")
    ws, connect = open_client(server, backend)
    assert connect.path == "/events"
    assert connect.header("Host") == f"localhost:{backend.port}"
    ws.close()


def test_http_proxy_in_the_environment_is_applied(wsgate, unused_port):
    """With http_proxy set, every backend call goes to the proxy in absolute form (libcurl's
    rule, as before the loop transport existed), and the start-up log says so."""
    proxy = RecordingBackend()
    try:
        target = f"http://127.0.0.1:{unused_port}/events"
        server = wsgate("--backend", target,
                        env={"http_proxy": proxy.url(""), "no_proxy": None, "NO_PROXY": None})
        assert "backend calls go through libcurl: a proxy is set in the environment" in server.log_text()
        ws = wsclient.connect(server.ws_url("local"))
        record = proxy.wait_for_event("$connect")
        assert record.path == target, record.path
        ws.close()
        proxy.wait_for_event("$disconnect")
    finally:
        proxy.close()


def test_idle_pooled_connections_are_closed(wsgate, backend, open_client):
    """The pool closes a connection idle for 1 s (WG_LIMIT_HTTPC_KEEPALIVE_MS), before a server's
    own keep-alive timeout (gunicorn's 2 s, Node's 5 s) could close it under a request: the call
    after a 2.5 s pause comes over a new connection and is answered."""
    server = wsgate("--backend", backend.url("/events"))
    ws, connect = open_client(server, backend)
    cid = connect.connection_id
    mark = backend.mark()
    ws.send('{"n": 1}')
    first = backend.wait_for(lambda r: r.connection_id == cid and r.route_key == "$default", after=mark)[0]
    time.sleep(2.5)
    mark = backend.mark()
    ws.send('{"n": 2}')
    second = backend.wait_for(lambda r: r.connection_id == cid and r.route_key == "$default", after=mark)[0]
    assert second.peer != first.peer
    ws.close()
