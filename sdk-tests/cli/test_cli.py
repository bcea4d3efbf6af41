"""`aws apigatewaymanagementapi ...` (AWS CLI) against wsgate (see sdk-tests/README.md).

The CLI is $AWS_CLI, else the .venv's `aws` (v1, pinned in requirements.txt). CLI v2 base64-decodes
--data unless given --cli-binary-format raw-in-base64-out, so that flag is added for v2."""
import datetime
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import USER_AGENT

ASCII = "hello from the aws cli"
UTF8 = "h\u00e9llo w\u00f6rld \u2014 \u2713 \u65e5\u672c\u8a9e \U0001F389"


def find_cli():
    cli = os.environ.get("AWS_CLI")
    if cli:
        return cli
    venv_aws = os.path.join(os.path.dirname(sys.executable), "aws")
    return venv_aws if os.path.exists(venv_aws) else shutil.which("aws")


AWS = find_cli()


@pytest.fixture(scope="session")
def cli_major():
    assert AWS, "no aws CLI found: run sdk-tests/install.sh or set AWS_CLI"
    out = subprocess.run([AWS, "--version"], capture_output=True, text=True, timeout=60)
    version = (out.stdout + out.stderr).strip()
    assert version.startswith("aws-cli/"), version
    return int(version.split("/")[1].split(".")[0])


@pytest.fixture
def aws(gate, cli_major, tmp_path):
    def run(op, *args, secret=None, data=None):
        env = dict(os.environ)
        env.update({
            "AWS_ACCESS_KEY_ID": gate["key"],
            "AWS_SECRET_ACCESS_KEY": secret if secret is not None else gate["secret"],
            "AWS_DEFAULT_REGION": gate["region"],
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_PAGER": "",
            "AWS_EC2_METADATA_DISABLED": "true",
        })
        env.pop("AWS_SESSION_TOKEN", None)
        env.pop("AWS_PROFILE", None)
        cmd = [AWS, "apigatewaymanagementapi", op, "--endpoint-url", gate["endpoint"], "--output", "json", *args]
        if data is not None:
            if isinstance(data, bytes):  # exact bytes: through a file
                path = tmp_path / "data.bin"
                path.write_bytes(data)
                cmd += ["--data", f"fileb://{path}"]
            else:
                cmd += ["--data", data]
                if cli_major >= 2:
                    cmd += ["--cli-binary-format", "raw-in-base64-out"]
        return subprocess.run(cmd, capture_output=True, timeout=60, env=env)
    return run


def ok(r):
    assert r.returncode == 0, f"exit {r.returncode}: {r.stderr.decode(errors='replace')}"
    return r


def fails_with(r, code):
    err = r.stderr.decode(errors="replace")
    assert r.returncode != 0, f"expected {code}, got success: {r.stdout!r}"
    assert f"An error occurred ({code})" in err, err


def pattern(n):
    block = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"
    return (block * (n // len(block) + 1))[:n]


def test_post_ascii(aws, peer):
    ok(aws("post-to-connection", "--connection-id", peer.id, data=ASCII))
    assert peer.recv_text() == ASCII.encode()


def test_post_multibyte_utf8(aws, peer):
    ok(aws("post-to-connection", "--connection-id", peer.id, data=UTF8))
    assert peer.recv_text() == UTF8.encode("utf-8")


def test_post_100kb_from_file(aws, peer):
    data = pattern(100 * 1024)
    ok(aws("post-to-connection", "--connection-id", peer.id, data=data))
    assert peer.recv_text() == data


def test_post_131073_bytes_payload_too_large(aws, peer):
    fails_with(aws("post-to-connection", "--connection-id", peer.id, data=pattern(131073)), "PayloadTooLargeException")


def test_get_connection(aws, peer):
    r = json.loads(ok(aws("get-connection", "--connection-id", peer.id)).stdout)
    connected = datetime.datetime.fromisoformat(r["ConnectedAt"].replace("Z", "+00:00"))
    last = datetime.datetime.fromisoformat(r["LastActiveAt"].replace("Z", "+00:00"))
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((now - connected).total_seconds()) < 300
    assert last >= connected
    assert r["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": USER_AGENT}


def test_delete_connection_then_gone(aws, peer):
    ok(aws("delete-connection", "--connection-id", peer.id))
    assert peer.recv_close_code() == 1000
    fails_with(aws("post-to-connection", "--connection-id", peer.id, data="too late"), "GoneException")
    fails_with(aws("get-connection", "--connection-id", peer.id), "GoneException")
    fails_with(aws("delete-connection", "--connection-id", peer.id), "GoneException")


def test_wrong_secret(gate, aws, peer):
    r = aws("post-to-connection", "--connection-id", peer.id, secret="not-the-secret", data="forged")
    if gate["auth"] == "strict":
        fails_with(r, "InvalidSignatureException")
        ok(aws("post-to-connection", "--connection-id", peer.id, data="signed"))
        assert peer.recv_text() == b"signed"
    else:
        ok(r)
        assert peer.recv_text() == b"forged"
