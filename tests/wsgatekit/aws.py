"""Expected AWS formats (spec sections 1, 2, 5, 7) as regexes and key lists."""
import calendar
import re
import time

ID_RE = re.compile(r"^[A-Za-z0-9_-]{15}=$")                  # 11 bytes base64url, one '=' pad (2.1)
API_ID_RE = re.compile(r"^[a-z0-9]{10}$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
REQUEST_TIME_RE = re.compile(r"^\d{2}/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/\d{4}:"
                             r"\d{2}:\d{2}:\d{2} \+0000$")
ISO_MS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
TRACE_ID_RE = re.compile(r"^Root=1-([0-9a-f]{8})-[0-9a-f]{24}$")

# Spec 1.2: requestContext key order, exactly.
CONNECT_CONTEXT_KEYS = ["routeKey", "eventType", "extendedRequestId", "requestTime",
                        "messageDirection", "stage", "connectedAt", "requestTimeEpoch", "identity",
                        "requestId", "domainName", "connectionId", "apiId"]
MESSAGE_CONTEXT_KEYS = ["routeKey", "messageId", "eventType", "extendedRequestId", "requestTime",
                        "messageDirection", "stage", "connectedAt", "requestTimeEpoch", "identity",
                        "requestId", "domainName", "connectionId", "apiId"]
DISCONNECT_CONTEXT_KEYS = ["routeKey", "disconnectStatusCode", "eventType", "extendedRequestId",
                           "requestTime", "messageDirection", "disconnectReason", "stage",
                           "connectedAt", "requestTimeEpoch", "identity", "requestId", "domainName",
                           "connectionId", "apiId"]


def error_frame_re(message):
    """Spec 5: the exact bytes of a gateway error frame (space after "message": and after commas,
    none after "connectionId": / "requestId":, no trailing newline)."""
    return re.compile(r'^\{"message": "' + re.escape(message) +
                      r'", "connectionId":"([A-Za-z0-9_-]{15}=)", "requestId":"([A-Za-z0-9_-]{15}=)"\}$')


def request_time_epoch_s(request_time):
    """Seconds since epoch of a `dd/Mon/yyyy:HH:mm:ss +0000` requestTime."""
    return calendar.timegm(time.strptime(request_time, "%d/%b/%Y:%H:%M:%S +0000"))


def iso_ms_to_epoch_ms(text):
    """Milliseconds since epoch of `yyyy-mm-ddTHH:MM:SS.mmmZ`."""
    seconds = calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S"))
    return seconds * 1000 + int(text[20:23])


def check_common_context(ctx, stage="local"):
    """Field formats shared by every event (AWS-ID-2..17)."""
    assert ID_RE.match(ctx["connectionId"]), ctx["connectionId"]
    assert ID_RE.match(ctx["extendedRequestId"]), ctx["extendedRequestId"]
    assert ctx["requestId"] == ctx["extendedRequestId"]
    assert ctx["messageDirection"] == "IN"
    assert ctx["stage"] == stage
    assert API_ID_RE.match(ctx["apiId"]), ctx["apiId"]
    assert isinstance(ctx["connectedAt"], int) and not isinstance(ctx["connectedAt"], bool)
    assert isinstance(ctx["requestTimeEpoch"], int)
    assert REQUEST_TIME_RE.match(ctx["requestTime"]), ctx["requestTime"]
    assert request_time_epoch_s(ctx["requestTime"]) == ctx["requestTimeEpoch"] // 1000
    assert abs(ctx["requestTimeEpoch"] - time.time() * 1000) < 60_000
    assert ctx["identity"]["sourceIp"] == "127.0.0.1"
