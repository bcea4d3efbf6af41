"""What a running wsgate holds: resident memory, open fds, TCP sockets by port (Linux /proc).

Used by the hostile-client and soak tests to show that nothing is left behind. `is_instrumented`
tells whether the process runs under AddressSanitizer or valgrind, where RSS is not the program's
own (quarantine, shadow memory) and memory bounds are not asserted (LeakSanitizer / memcheck check
leaks there instead, at exit).
"""
import os


def rss_kb(pid):
    """VmRSS of the process in kB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def is_instrumented(pid):
    """True under ASan or valgrind (by the libraries mapped into the process)."""
    try:
        with open(f"/proc/{pid}/maps") as f:
            maps = f.read()
    except OSError:
        return False
    return "libasan" in maps or "vgpreload" in maps or "valgrind" in maps


def _socket_inodes(pid):
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


_TCP_STATES = {"01": "ESTABLISHED", "02": "SYN_SENT", "03": "SYN_RECV", "04": "FIN_WAIT1",
               "05": "FIN_WAIT2", "06": "TIME_WAIT", "07": "CLOSE", "08": "CLOSE_WAIT",
               "09": "LAST_ACK", "0A": "LISTEN", "0B": "CLOSING"}


def tcp_sockets(pid):
    """[(local_port, remote_port, state)] for every TCP socket the process has open."""
    inodes = _socket_inodes(pid)
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if parts[9] in inodes:
                local_port = int(parts[1].rsplit(":", 1)[1], 16)
                remote_port = int(parts[2].rsplit(":", 1)[1], 16)
                found.append((local_port, remote_port, _TCP_STATES.get(parts[3], parts[3])))
    return found


def client_sockets(pid, server_port):
    """TCP sockets of accepted client connections (local port = the server's, not listening)."""
    return [s for s in tcp_sockets(pid) if s[0] == server_port and s[2] != "LISTEN"]
