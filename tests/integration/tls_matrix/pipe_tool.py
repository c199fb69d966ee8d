"""A TLS client program run as a subprocess whose standard input and output are the two
directions of its TLS connection (openssl s_client, gnutls-cli, tstclnt, tls_pipe.py).

What the program prints besides the server's bytes (handshake reports, certificate
details) lands in the same output; the conversation looks only for its own markers in it.
Every wait has a deadline and ends early if the program exits.

The program's standard input is a socket, not a pipe: at our end of input it polls readable
and reads 0 bytes. A pipe's writer closing gives only POLLHUP, which tstclnt does not take
for the end of input: it polls again at once, for ever."""

import re
import socket
import subprocess
import threading
import time


class ToolFailed(AssertionError):
    pass


class PipeTool:
    def __init__(self, argv, env=None, name=None):
        self.name = name or argv[0]
        self.argv = argv
        self._in, theirs = socket.socketpair()
        try:
            self.proc = subprocess.Popen(argv, stdin=theirs.fileno(), stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, env=env)
        finally:
            theirs.close()
        self._out = bytearray()
        self._err = bytearray()
        self._lock = threading.Condition()
        self._readers = [threading.Thread(target=self._pump, args=(self.proc.stdout, self._out), daemon=True),
                         threading.Thread(target=self._pump, args=(self.proc.stderr, self._err), daemon=True)]
        for t in self._readers:
            t.start()

    def _pump(self, stream, into):
        while True:
            chunk = stream.read1(65536)
            with self._lock:
                if chunk:
                    into += chunk
                self._lock.notify_all()
            if not chunk:
                return

    # ---- in ----
    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        try:
            self._in.sendall(data)
        except OSError as e:
            raise self.failure('writing %d bytes: %r' % (len(data), e)) from None

    def close_input(self):
        try:
            self._in.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    # ---- out ----
    def output(self):
        with self._lock:
            return bytes(self._out)

    def errors(self):
        with self._lock:
            return bytes(self._err)

    def expect(self, pattern, start=0, timeout=10.0, what=None):
        """The first match of `pattern` (bytes regex) in the output at or after `start`."""
        rx = re.compile(pattern, re.S)
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                m = rx.search(self._out, start)
                if m:
                    return m
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not any(t.is_alive() for t in self._readers)):
                    break
                self._lock.wait(min(left, 0.2))
        raise self.failure('%s: not there within %.0f s' % (what or pattern, timeout))

    def wait_exit(self, timeout=10.0):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise self.failure('still running after %.0f s more' % timeout) from None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._in.close()
        for t in self._readers:
            t.join(2)

    def failure(self, why):
        out, err = self.output(), self.errors()
        return ToolFailed('%s: %s (exit %s)\n  stdout tail: %r\n  stderr tail: %r'
                          % (self.name, why, self.proc.poll(), out[-600:], err[-600:]))
