"""Known keys from an AWS credentials file (--credentials-file, AWS_SHARED_CREDENTIALS_FILE) and the
domainName wsgate presents in events (--domain-name)."""
import re

from wsgatekit import mgmt, server as server_helpers


CREDENTIALS = """# a shared credentials file as ~/.aws/credentials has it
[default]
aws_access_key_id = AKIDFROMFILE0000001
aws_secret_access_key = secret-from-file

[other]
aws_access_key_id=AKIDFROMFILE0000002
aws_secret_access_key=second-secret
"""


def test_credentials_file_keys_are_known_in_strict_mode(wsgate, backend, open_client, tmp_path):
    path = tmp_path / "credentials"
    path.write_text(CREDENTIALS)
    gate = wsgate("--backend", backend.url("/events"), "--auth", "strict", "--credentials-file", str(path))
    ws, connect = open_client(gate, backend)
    cid = connect.context["connectionId"]
    for akid, secret in (("AKIDFROMFILE0000001", "secret-from-file"), ("AKIDFROMFILE0000002", "second-secret")):
        assert mgmt.get(gate.port, cid, credentials=(akid, secret)).status == 200
    wrong = mgmt.get(gate.port, cid, credentials=("AKIDFROMFILE0000001", "not-the-secret"))
    assert wrong.status == 403 and wrong.header("x-amzn-ErrorType") == "InvalidSignatureException"
    unknown = mgmt.get(gate.port, cid, credentials=("AKIDNOTINTHEFILE000", "x"))
    assert unknown.status == 403 and unknown.header("x-amzn-ErrorType") == "UnrecognizedClientException"


def test_credentials_file_errors_exit_2(tmp_path):
    missing = server_helpers.run_cli(["--credentials-file", str(tmp_path / "nope")])
    assert missing.returncode == 2 and b"credentials file" in missing.stderr
    empty = tmp_path / "empty"
    empty.write_text("[default]\nregion = us-east-1\n")
    bad = server_helpers.run_cli(["--credentials-file", str(empty)])
    assert bad.returncode == 2 and b"no profile" in bad.stderr


def test_domain_name_aws_style(wsgate, backend, open_client):
    gate = wsgate("--backend", backend.url("/events"), "--domain-name", "aws", "--api-id", "abcde12345",
                  "--region", "eu-west-2")
    ws, connect = open_client(gate, backend)
    assert connect.context["domainName"] == "abcde12345.execute-api.eu-west-2.amazonaws.com"
    ws.close()
    rec = backend.wait_for_event("$disconnect", connection_id=connect.context["connectionId"])
    assert rec.context["domainName"] == "abcde12345.execute-api.eu-west-2.amazonaws.com"
    assert rec.event["headers"]["Host"] == "abcde12345.execute-api.eu-west-2.amazonaws.com"


def test_domain_name_default_is_the_host_used(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    assert re.fullmatch(r"127\.0\.0\.1:\d+", connect.context["domainName"])
    assert connect.context["domainName"] == connect.event["headers"]["Host"]
