#!/usr/bin/python3
"""Python's ssl module as a TLS client program like openssl s_client: standard input goes out
over TLS, what comes in goes to standard output. Run by the matrix as a subprocess, so that
it is driven exactly as the other stacks are.

    tls_pipe.py --port P [--starttls DOMAIN] --tls 1.2|1.3

The TLS 1.3 suite is not settable through Python's ssl API; the matrix chooses it with an
OpenSSL configuration file (OPENSSL_CONF, Ciphersuites). What was negotiated is printed to
standard error ("negotiated TLSv1.3 TLS_AES_128_GCM_SHA256"), and at the end whether the
server's close_notify came ("close_notify received") or the TCP stream just ended."""

import argparse
import os
import select
import socket
import ssl
import sys

from xmpp_starttls import starttls


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--starttls', metavar='DOMAIN')
    ap.add_argument('--tls', choices=['1.2', '1.3'], required=True)
    args = ap.parse_args()

    version = ssl.TLSVersion.TLSv1_2 if args.tls == '1.2' else ssl.TLSVersion.TLSv1_3
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE   # the server's certificate is its own self-signed one
    ctx.minimum_version = ctx.maximum_version = version

    raw = socket.create_connection(('127.0.0.1', args.port), timeout=20)
    if args.starttls:
        try:
            starttls(raw, args.starttls)
        except AssertionError as e:
            raise SystemExit('tls_pipe: %s' % e) from None
    # suppress_ragged_eofs off: a TCP end without close_notify raises instead of reading as b''.
    tls = ctx.wrap_socket(raw, suppress_ragged_eofs=False)
    print('negotiated %s %s' % (tls.version(), tls.cipher()[0]), file=sys.stderr, flush=True)
    tls.setblocking(False)

    stdin = sys.stdin.buffer.raw
    out = sys.stdout.buffer
    input_open = True
    while True:
        # Records OpenSSL has already decrypted do not show on the socket: read them first.
        readable = [tls] if tls.pending() else select.select([tls] + ([stdin] if input_open else []), [], [], 60)[0]
        if not readable:
            raise SystemExit('tls_pipe: nothing for 60 s')
        if tls in readable:
            try:
                data = tls.recv(65536)
            except ssl.SSLWantReadError:
                continue
            except ssl.SSLEOFError:
                print('the TCP stream ended without close_notify', file=sys.stderr, flush=True)
                return 1
            if not data:
                print('close_notify received', file=sys.stderr, flush=True)
                break
            out.write(data)
            out.flush()
        if stdin in readable:
            data = os.read(stdin.fileno(), 65536)
            if not data:
                input_open = False
                continue
            tls.setblocking(True)
            tls.sendall(data)
            tls.setblocking(False)
    # Our close_notify in turn; the server may already have closed the TCP stream.
    try:
        tls.setblocking(True)
        tls.unwrap()
    except (ssl.SSLError, OSError):
        pass
    tls.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
