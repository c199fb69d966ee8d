"""Go's crypto/tls, through go-sendxmpp (Debian's Go XMPP client; PLAIN only, hence
c2s.allow_plain). go-sendxmpp sends or listens, never both on one connection, so a cell runs
two: a listener (-l) that must print the 40 KB that comes out of the server, and a sender
that puts the same 40 KB in, addressed to the listener's full JID, and then closes its
stream itself. The listener runs until it is stopped.

Go's TLS client offers every TLS 1.3 suite and cannot be held to TLS 1.2 from go-sendxmpp's
command line: the server is, through its OpenSSL configuration (see the matrix)."""

import os
import re
import subprocess

from conversation import LARGE_BYTES
from pipe_tool import PipeTool


def run(server, user, password, starttls, workdir, resource, timeout=20.0):
    """Returns the number of TLS connections the cell made."""
    jid = '%s@%s' % (user, server.domain)
    port = server.c2s_port if starttls else server.direct_tls_port
    common = ['go-sendxmpp', '-u', jid, '-p', password, '-j', '127.0.0.1:%d' % port,
              '-n']  # -n: the server's certificate is its own self-signed one
    if not starttls:
        common.append('-t')
    # HOME: go-sendxmpp would read a configuration file from the user's.
    env = dict(os.environ, HOME=workdir)
    listener_jid = '%s/%s-in' % (jid, resource)
    listener = PipeTool(common + ['-r', resource + '-in', '-l'], env=env, name='go-sendxmpp -l')
    try:
        if not server.wait_log(re.escape('bound ' + listener_jid), timeout):
            raise listener.failure('the listener did not bind %s' % listener_jid)
        body = 'go-%s-go' % os.urandom(LARGE_BYTES // 2).hex()
        body_file = os.path.join(workdir, 'body.txt')
        with open(body_file, 'w') as f:
            f.write(body)
        sender = subprocess.run(common + ['-r', resource + '-out', '-m', body_file, listener_jid],
                                env=env, capture_output=True, timeout=timeout)
        if sender.returncode != 0:
            raise AssertionError('go-sendxmpp (sender) exited %d: %r %r'
                                 % (sender.returncode, sender.stdout[-500:], sender.stderr[-500:]))
        listener.expect(re.escape(body.encode()), 0, timeout, 'the 40 KB message at the listener')
    finally:
        listener.stop()
    return 2
