"""Bounded polling, for what cannot be awaited on a Condition (a file another process writes, a
process table)."""
import time


def poll(predicate, timeout=5.0, what=None, interval=0.05):
    """Calls predicate() until it returns something truthy (returned) or `timeout` s pass. Then:
    with `what`, raises AssertionError naming it; without, returns the last (falsy) value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            break
        time.sleep(interval)
    if not value and what is not None:
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")
    return value
