"""A free loopback port for a server a test starts, as a module or (printing it) a program.

The port is taken below the kernel's ephemeral range. A port from that range (what binding to
port 0 gives) may be taken, between this check and the server's own bind, as the source port of
any outgoing connection on the machine, and the server then fails with "Address already in use"
(seen in CI with suites running side by side). Ports are drawn at random so that parallel
tests rarely draw the same one.
"""
import random
import socket

_rng = random.SystemRandom()


def _ephemeral_low():
    try:
        with open('/proc/sys/net/ipv4/ip_local_port_range') as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port():
    """A port free for TCP and UDP alike on 127.0.0.1 (a private dnsmasq needs both)."""
    high = _ephemeral_low()
    low = 10000 if high > 12000 else 1024
    while True:
        port = _rng.randrange(low, high)
        t = socket.socket()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            t.bind(('127.0.0.1', port))
            u.bind(('127.0.0.1', port))
            return port
        except OSError:
            continue
        finally:
            u.close()
            t.close()


if __name__ == '__main__':
    print(free_port())
