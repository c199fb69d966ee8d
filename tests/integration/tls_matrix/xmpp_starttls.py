"""The plain-text part of XMPP STARTTLS (RFC 6120 5.4) on a connected socket: stream header,
features, <starttls/>, <proceed/>. Afterwards the socket is where the TLS handshake begins:
nothing past <proceed/> has been read from it."""

import re

NS_TLS = b'urn:ietf:params:xml:ns:xmpp-tls'


def _recv(sock, seen, size):
    chunk = sock.recv(size)
    if not chunk:
        raise AssertionError('the server closed during STARTTLS after %r' % seen)
    return chunk


def starttls(sock, domain):
    """Raises AssertionError if the server does not offer or refuses STARTTLS."""
    sock.sendall(("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                  "xmlns:stream='http://etherx.jabber.org/streams' to='%s' version='1.0'>" % domain).encode())
    seen = b''
    while b'</stream:features>' not in seen:
        seen += _recv(sock, seen, 4096)   # the server says nothing more until it has our answer
    if NS_TLS not in seen:
        raise AssertionError('STARTTLS not offered: %r' % seen)
    sock.sendall(b"<starttls xmlns='" + NS_TLS + b"'/>")
    seen = b''
    while not re.search(rb'<proceed[^>]*/>$', seen):
        if b'<failure' in seen:
            raise AssertionError('STARTTLS refused: %r' % seen)
        seen += _recv(sock, seen, 1)   # a byte at a time: what follows is the TLS stream
