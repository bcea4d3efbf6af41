#!/usr/bin/env python3
"""Conformance runner: drives the real wsgate binary and compares what it produces with the AWS
captures in fixtures/.

The *sessions* (scripted client/backend/management-API interactions) are in sessions.py, the
rules engine (loading cases, comparing, printing differences) in rules.py, and the *cases* are data
files, one per case, in conformance/cases/*.json (curl's one-file-per-case idea). A case names a
session, one observation of that session (an event the backend received, a frame the client
received, a management-API response), the fixture it must match and the rules for the values that
legitimately differ (IDs, times, hosts...).

Comparison (rules.py; see README.md for the case format):
  * JSON documents: same keys in the same order at every level, same JSON types, and every leaf
    either equal to the fixture's value or - only where the case has a rule for that path -
    checked against the rule (format regex, layout, relations to other fields, session values,
    closeness to now). There is no "ignore" rule: variable values are masked by format.
  * Text (frames, bodies): byte-exact except masked "key":"value" spans, checked by rule.
  * Every rule is also run against the fixture itself ("self-check"), so a rule that AWS's own
    capture would fail is a broken case, not a passing test.

Usage:  WSGATE_BIN=build/wsgate .venv/bin/python conformance/run.py [-v] [-k SUBSTRING] [CASE.json...]
Prints one line per case, diffs for failures, and finally "N passed, N failed"; exit 1 on any
failure (2 when the binary cannot be started).
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

import rules
import sessions


def main():
    ap = argparse.ArgumentParser(description="wsgate conformance runner")
    ap.add_argument("cases", nargs="*", help="case files (default: conformance/cases/*.json)")
    ap.add_argument("-k", dest="filter", help="only cases whose name contains this")
    ap.add_argument("-v", "--verbose", action="store_true", help="print observations of failing cases")
    args = ap.parse_args()

    binary = os.environ.get("WSGATE_BIN", os.path.join(rules.REPO, "build", "wsgate"))
    cases = rules.load_cases(args.cases, args.filter)

    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="wsgate-conformance-")
    try:
        env, server, backend = sessions.start(binary, workdir)
    except (RuntimeError, OSError) as e:
        print(f"conformance: cannot start {binary}: {e}")
        print(f"0 passed, {len(cases)} failed")
        return 2
    results = {}
    passed = failed = 0
    try:
        for case in cases:
            sname = case["session"]
            if sname not in results:
                obs, var = {}, {}
                try:
                    sessions.SESSIONS[sname](env, obs, var)
                    results[sname] = (obs, var, None)
                except Exception as e:  # the session broke: its remaining observations are missing
                    results[sname] = (obs, var, f"{type(e).__name__}: {e}")
            obs, var, session_error = results[sname]
            if session_error and case["observe"] not in obs:
                diffs, errs = [("/", f"session {sname} failed before this observation: {session_error}")], []
            else:
                try:
                    diffs, errs = rules.run_case(case, obs, var, sessions.REGION, sessions.BASE_VARS)
                except rules.CaseError as e:
                    diffs, errs = [], [str(e)]
            if rules.report(case, sname, diffs, errs, obs.get(case["observe"]), args.verbose):
                passed += 1
            else:
                failed += 1
    finally:
        server.stop()
        backend.stop()
    problems = sessions.sanitizer_reports(server)
    if problems:
        print(f"conformance: the server log contains {problems}; see {server.log_path}")
        failed += 1
    elif failed:
        print(f"conformance: server logs kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"conformance: {time.monotonic() - started:.1f} s")
    print(f"{passed} passed, {failed} failed")
    if passed == 0:
        print("conformance: no case ran")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
