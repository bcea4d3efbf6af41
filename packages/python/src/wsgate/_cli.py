"""The `wsgate` console script: replaces itself with the packaged binary (same arguments, signals
and exit status)."""
import os
import sys

from . import WsgateBinaryError, binary_path


def main():
    try:
        exe = binary_path()
    except WsgateBinaryError as e:
        sys.stderr.write(f"{e}\n")
        return 1
    os.execv(exe, [exe] + sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
