"""Loopback ports for tests. `python -m wsgatekit.net` prints one (for shell scripts)."""
import socket


def unused_port():
    """A loopback port nothing listens on (bound, then released): connecting to it is refused, and
    a server told to listen on it will find it free unless something raced for it meanwhile."""
    sock = socket.socket()
    try:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
    finally:
        sock.close()


if __name__ == "__main__":
    print(unused_port())
