"""pytest plugin (entry point pytest11 "wsgate"): the `wsgate` and `wsgate_session` fixtures.

    def test_push(wsgate):                       # a running wsgate (see wsgate.Wsgate)
        ws = websockets.sync.client.connect(wsgate.ws_url)
        boto3.client("apigatewaymanagementapi", endpoint_url=wsgate.management_endpoint, ...)

    @pytest.mark.wsgate(routes={"ping": {"integration": "mock", "response": {"statusCode": 200, "body": "pong"},
                                          "twoWay": True}})
    def test_ping(wsgate): ...

Options, in the ini file ([pytest] / [tool.pytest.ini_options]) for every wsgate, and per test with
the `wsgate` marker (its keywords are wsgate.start()'s; they win over the ini):
    wsgate_scope        function (default) or session: the scope of the `wsgate` fixture
    wsgate_backend      URL of $connect/$disconnect/$default        wsgate_config   config file (relative: rootdir)
    wsgate_auth         none | sigv4 | strict                       wsgate_credentials  AKID:SECRET lines
    wsgate_stage, wsgate_region, wsgate_binary, wsgate_args (more flags, shell-quoted)
`wsgate_session` is always session-scoped (ini options only). A marker on a test whose `wsgate` is
session-scoped is an error, not silently ignored.
"""
import os

import pytest

import wsgate as _wsgate

_INI = {
    "scope": ("scope of the `wsgate` fixture: function (default) or session", "string", "function"),
    "backend": ("wsgate --backend URL", "string", ""),
    "config": ("wsgate --config FILE (relative to the rootdir)", "string", ""),
    "auth": ("wsgate --auth none|sigv4|strict", "string", ""),
    "credentials": ("wsgate --credentials AKID:SECRET, one per line", "linelist", []),
    "stage": ("wsgate --stage NAME", "string", ""),
    "region": ("wsgate --region NAME", "string", ""),
    "binary": ("the wsgate executable (default: the packaged one)", "string", ""),
    "args": ("more wsgate flags", "args", []),
}


def pytest_addoption(parser):
    for key, (help_text, kind, default) in _INI.items():
        parser.addini(f"wsgate_{key}", help_text, type=kind, default=default)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "wsgate(**options): wsgate.start() options for this test's `wsgate` fixture (function scope)")


def _ini_options(config):
    opts = {}
    for key in ("backend", "auth", "stage", "region", "binary"):
        value = config.getini(f"wsgate_{key}")
        if value:
            opts[key] = value
    if config.getini("wsgate_config"):
        opts["config"] = os.path.join(str(config.rootpath), config.getini("wsgate_config"))
    if config.getini("wsgate_credentials"):
        opts["credentials"] = list(config.getini("wsgate_credentials"))
    if config.getini("wsgate_args"):
        opts["args"] = list(config.getini("wsgate_args"))
    return opts


def _scope(fixture_name, config):
    scope = config.getini("wsgate_scope") or "function"
    if scope not in ("function", "session"):
        raise pytest.UsageError(f"wsgate_scope must be 'function' or 'session', not {scope!r}")
    return scope


@pytest.fixture(scope=_scope)
def wsgate(request):
    """A running wsgate (wsgate.Wsgate): ws_url, management_endpoint, port, region, logs, stop()."""
    opts = _ini_options(request.config)
    marker = request.node.get_closest_marker("wsgate") if request.scope == "function" else None
    if marker is not None:
        if marker.args:
            pytest.fail("@pytest.mark.wsgate takes keyword options only (those of wsgate.start())", pytrace=False)
        opts.update(marker.kwargs)
    with _wsgate.start(**opts) as gw:
        yield gw


@pytest.fixture(scope="session")
def wsgate_session(request):
    """One wsgate for the whole session (ini options only)."""
    with _wsgate.start(**_ini_options(request.config)) as gw:
        yield gw


def pytest_runtest_setup(item):
    if (item.get_closest_marker("wsgate") is not None and "wsgate" in getattr(item, "fixturenames", ())
            and _scope("wsgate", item.config) == "session"):
        pytest.fail("@pytest.mark.wsgate needs a function-scoped `wsgate` fixture (wsgate_scope is session)",
                    pytrace=False)
