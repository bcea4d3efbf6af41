"""Run one command against a freshly started wsgate: the SDK suites' launcher (sdk-tests/run.sh).

    python -m wsgatekit.with_gate --log GATE.log [--scheme https] [--timeout S] [--dir DIR] \
        --cmd "npm test --silent" -- [wsgate arguments...]

Starts wsgate with WsgateServer (free port on 127.0.0.1, stopped by PID, sanitizer reports
collected), exports WSGATE_URL, WSGATE_PORT, WSGATE_ENDPOINT (URL/local) and WSGATE_WS_URL to the
command, runs it with `bash -c` in DIR in its own process group (killed as a group after S
seconds: exit status 124), then stops wsgate. The exit status is the command's, or 1 when wsgate
did not start, exited during the command, hung at SIGTERM or logged a sanitizer report (said on
stderr with the last lines of its log).
"""
import argparse
import os
import signal
import subprocess
import sys

from wsgatekit.server import WsgateServer


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m wsgatekit.with_gate")
    parser.add_argument("--log", required=True, help="wsgate's log file")
    parser.add_argument("--scheme", default="http", choices=("http", "https"),
                        help="the scheme the command is told to use (wsgate serves both on its port)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds the command may take")
    parser.add_argument("--dir", default=".", help="the command's working directory")
    parser.add_argument("--cmd", required=True, help="the command, run with bash -c")
    parser.add_argument("gate_args", nargs=argparse.REMAINDER, help="-- then wsgate's arguments")
    args = parser.parse_args(argv)
    gate_args = args.gate_args[1:] if args.gate_args[:1] == ["--"] else args.gate_args

    gate = WsgateServer(gate_args, args.log)
    try:
        gate.start()
    except RuntimeError as err:
        print(f"with_gate: {err}", file=sys.stderr)
        return 1
    url = f"{args.scheme}://127.0.0.1:{gate.port}"
    env = dict(os.environ, WSGATE_URL=url, WSGATE_PORT=str(gate.port), WSGATE_ENDPOINT=url + "/local",
               WSGATE_WS_URL=("wss" if args.scheme == "https" else "ws") + url[len(args.scheme):] + "/local")
    status = 0
    try:
        proc = subprocess.Popen(["bash", "-c", args.cmd], cwd=args.dir, env=env, start_new_session=True)
        try:
            status = proc.wait(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            print(f"with_gate: the command timed out after {args.timeout:.0f} s", file=sys.stderr)
            status = 124
    finally:
        problems = gate.stop()
    if problems:
        print("with_gate: wsgate: " + "; ".join(problems), file=sys.stderr)
        for line in gate.log_text().splitlines()[-15:]:
            print(f"    | {line}", file=sys.stderr)
        return status or 1
    return status


if __name__ == "__main__":
    sys.exit(main())
