"""XMPP STARTTLS for a TLS client program that cannot do it (NSS's tstclnt): a plain TCP relay
on a free loopback port. For the one connection it accepts it connects to the server's
STARTTLS port, says the plain-text part itself (stream header, <starttls/>, until <proceed/>)
and from then on copies bytes both ways untouched, so the TLS handshake and every record are
the client program's own. Each direction's end is passed on as a half-close."""

import socket
import threading

from free_port import free_port
from xmpp_starttls import starttls


class StartTlsShim:
    def __init__(self, server_port, domain, timeout=20.0):
        self.server_port, self.domain, self.timeout = server_port, domain, timeout
        self.port = free_port()
        self.error = None
        self._listener = socket.create_server(('127.0.0.1', self.port))
        self._listener.settimeout(timeout)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        try:
            client, _ = self._listener.accept()
        except OSError as e:
            self.error = 'no client came: %r' % e
            return
        finally:
            self._listener.close()
        server = socket.create_connection(('127.0.0.1', self.server_port), timeout=self.timeout)
        try:
            starttls(server, self.domain)
        except (OSError, AssertionError) as e:
            self.error = 'STARTTLS with the server: %r' % e
            client.close()
            server.close()
            return
        client.settimeout(self.timeout)
        pumps = [threading.Thread(target=self._pump, args=(client, server), daemon=True),
                 threading.Thread(target=self._pump, args=(server, client), daemon=True)]
        for p in pumps:
            p.start()
        for p in pumps:
            p.join()
        client.close()
        server.close()

    def _pump(self, source, sink):
        try:
            while True:
                chunk = source.recv(65536)
                if not chunk:
                    break
                sink.sendall(chunk)
        except OSError:
            pass
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self):
        try:
            self._listener.close()
        except OSError:
            pass
        self._thread.join(self.timeout)
