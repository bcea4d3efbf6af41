"""wsgatekit: the one Python test kit of wsgate, used by the end-to-end tests (tests/e2e), the
conformance runner (conformance/), the Python SDK suites (sdk-tests/pyshared), the container test
(scripts/podman-test.sh) and the soak test (tests/soak).

  server.py        the real binary on a free loopback port (`--port 0`), stopped by PID; run_cli
  backend.py       RecordingBackend: a threaded HTTP backend that records and answers (also a script)
  faultybackend.py a raw-socket backend that misbehaves on purpose
  wsclient.py      WebSocket client utilities (websocket-client): connect, recv, close handshakes
  rawws.py         hand-built frames for what websocket-client refuses to send
  mgmt.py          SigV4-signed management-API calls (botocore) and a boto3 client
  control.py       a well-behaved control client for the hostile tests
  aws.py           AWS's formats: ID regex, requestContext key orders, error frames, times
  config.py        config-file dicts; net.py: free loopback ports; wait.py: bounded polling
  procstat.py      what a running wsgate holds: RSS, open fds, TCP sockets (Linux /proc)
  lambda_invoke.py a Lambda Invoke API backend
  container_check.py  the end-to-end checks the container test runs against a running image
Nothing here is a test; every wait is bounded.
"""
