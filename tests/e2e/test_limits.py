"""Frame and message limits and unsupported frames (AWS-LIM-1..3, AWS-LIM-10; README.md "Lifecycle, limits and close codes")."""
from websocket import ABNF

from wsgatekit import wsclient


def test_binary_frame_closes_1003(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    ws.send_binary(b"\x00\x01\x02")
    code, _, messages = wsclient.wait_close(ws)
    assert code == 1003
    assert messages == []
    rec = backend.wait_for_event("$disconnect", connection_id=connect.context["connectionId"])
    assert backend.events("$default", connection_id=connect.context["connectionId"]) == []
    assert rec.context["disconnectStatusCode"] == 1003


def test_frame_over_32kb_closes_1009(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    ws.send("a" * (32 * 1024 + 1))            # one frame (websocket-client does not fragment)
    code, _, _ = wsclient.wait_close(ws)
    assert code == 1009
    backend.wait_for_event("$disconnect", connection_id=connect.context["connectionId"])
    assert backend.events("$default", connection_id=connect.context["connectionId"]) == []


def test_frame_of_32kb_accepted(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    data = "b" * (32 * 1024)
    ws.send(data)
    rec = backend.wait_for_event("$default", connection_id=connect.context["connectionId"])
    assert rec.event["body"] == data


def _send_fragmented(ws, data, chunk, server_may_close=False):
    parts = [data[i:i + chunk] for i in range(0, len(data), chunk)]
    for i, part in enumerate(parts):
        opcode = ABNF.OPCODE_TEXT if i == 0 else ABNF.OPCODE_CONT
        try:
            ws.send_frame(ABNF.create_frame(part, opcode, fin=int(i == len(parts) - 1)))
        except OSError:
            if not server_may_close:
                raise
            return


def test_fragmented_message_reassembled(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    data = "0123456789abcdef" * 6400            # 100 KB in 16 KB frames
    _send_fragmented(ws, data, 16 * 1024)
    rec = backend.wait_for_event("$default", connection_id=connect.context["connectionId"])
    assert rec.event["body"] == data


def test_message_over_128kb_closes_1009(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    _send_fragmented(ws, "c" * (128 * 1024 + 1), 16 * 1024, server_may_close=True)
    code, _, _ = wsclient.wait_close(ws)
    assert code == 1009
    backend.wait_for_event("$disconnect", connection_id=connect.context["connectionId"])
    assert backend.events("$default", connection_id=connect.context["connectionId"]) == []


# inferred: AWS-LIM-10, AWS-LIFE-12 (wsgate's choice, not a capture of AWS)
def test_invalid_utf8_closes_1007(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    ws.send(b"\xff\xfe bad", ABNF.OPCODE_TEXT)
    code, _, _ = wsclient.wait_close(ws)
    assert code == 1007
    backend.wait_for_event("$disconnect", connection_id=connect.context["connectionId"])
