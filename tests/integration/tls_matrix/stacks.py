"""How each TLS stack is asked for one TLS version and suite, told to send a KeyUpdate, and
asked what it negotiated and whether the close was clean. One Stack per client program; its
`client()` gives the program's command line for one cell and `verify()` reads the program's
own reports after the conversation."""

import os
import re
import sys

from pipe_tool import PipeTool
from starttls_shim import StartTlsShim

HERE = os.path.dirname(os.path.abspath(__file__))

# (name in the cell, OpenSSL/IANA name); None: TLS 1.2 with the stack's default suites.
TLS12 = ('TLS 1.2', None)
TLS13_SUITES = [('TLS 1.3 AES-128-GCM', 'TLS_AES_128_GCM_SHA256'),
                ('TLS 1.3 AES-256-GCM', 'TLS_AES_256_GCM_SHA384'),
                ('TLS 1.3 ChaCha20-Poly1305', 'TLS_CHACHA20_POLY1305_SHA256')]
VARIANTS = [TLS12] + TLS13_SUITES


def openssl_conf(directory, name, lines):
    """An OpenSSL configuration file whose system defaults apply to every SSL_CTX the process
    makes: how the matrix sets what a program has no option for."""
    path = os.path.join(directory, name + '.cnf')
    with open(path, 'w') as f:
        f.write('openssl_conf = openssl_init\n[openssl_init]\nssl_conf = ssl_sect\n'
                '[ssl_sect]\nsystem_default = system_default_sect\n[system_default_sect]\n')
        f.write(''.join(line + '\n' for line in lines))
    return path


def require(text, pattern, what):
    if not re.search(pattern, text, re.M):
        raise AssertionError('%s: no %r in %r' % (what, pattern, text[-1500:]))


class Cell:
    """One program run: the PipeTool, what it needs cleaned up, and its own report files."""

    def __init__(self, tool, shim=None, files=()):
        self.tool, self.shim, self.files = tool, shim, list(files)

    def stop(self):
        self.tool.stop()
        if self.shim:
            self.shim.close()


class OpenSSL:
    name = 'openssl s_client'
    # s_client's commands: a KeyUpdate, then one that asks the server for one in return.
    key_updates = (b'k\n', b'K\n')
    line_end = ''
    exits_at_server_close = True

    @staticmethod
    def key_update_taken(cell, n):
        return cell.tool.errors().count(b'KEYUPDATE') >= n

    def __init__(self, extra=()):
        self.extra = list(extra)

    def client(self, server, starttls, suite, workdir):
        msgs = os.path.join(workdir, 'msg.txt')
        argv = ['openssl', 's_client', '-brief', '-msg', '-msgfile', msgs] + self.extra
        if starttls:
            argv += ['-connect', '127.0.0.1:%d' % server.c2s_port, '-starttls', 'xmpp', '-xmpphost', server.domain]
        else:
            argv += ['-connect', '127.0.0.1:%d' % server.direct_tls_port]
        argv += ['-tls1_3', '-ciphersuites', suite] if suite else ['-tls1_2']
        return Cell(PipeTool(argv, name=self.name), files=[msgs])

    def verify(self, cell, suite, key_updated):
        err = cell.tool.errors().decode(errors='replace')
        require(err, r'^Protocol version: TLSv1\.%s$' % ('3' if suite else '2'), 'negotiated version')
        if suite:
            require(err, r'^Ciphersuite: %s$' % suite, 'negotiated suite')
        with open(cell.files[0], errors='replace') as f:
            msgs = f.read()
        if key_updated:
            ours, theirs = (len(re.findall(r'^%s .*KeyUpdate$' % d, msgs, re.M)) for d in ('>>>', '<<<'))
            # RFC 8446 4.6.3: only update_requested is answered.
            if (ours, theirs) != (2, 1):
                raise AssertionError('KeyUpdates sent %d (expected 2), received %d (expected 1)' % (ours, theirs))
        if suite and re.search(r'^<<< .*NewSessionTicket', msgs, re.M):
            # The hand-over counts on OpenSSL having written no record after the handshake.
            raise AssertionError('the server sent a NewSessionTicket')
        require(msgs, r'^<<< .*Alert.*close_notify$', "the server's close_notify")
        require(msgs, r'^>>> .*Alert.*close_notify$', 'our close_notify')


class GnuTLS:
    name = 'gnutls-cli'
    # Inline commands: a KeyUpdate, then one with update_requested. Data read with a command
    # is sent after it; the command's report reaches the log file only at exit.
    key_updates = (b'^rekey1^\n', b'^rekey^\n')
    key_update_taken = None
    line_end = '\n'
    exits_at_server_close = True
    CIPHERS = {'TLS_AES_128_GCM_SHA256': 'AES-128-GCM', 'TLS_AES_256_GCM_SHA384': 'AES-256-GCM',
               'TLS_CHACHA20_POLY1305_SHA256': 'CHACHA20-POLY1305'}

    def client(self, server, starttls, suite, workdir):
        log = os.path.join(workdir, 'gnutls.log')
        priority = ('NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+%s' % self.CIPHERS[suite] if suite
                    else 'NORMAL:-VERS-ALL:+VERS-TLS1.2')
        # gnutls-cli's STARTTLS names the host it connects to in the stream header's 'to':
        # the matrix's domain is a name that resolves to the loopback address.
        argv = ['gnutls-cli', '--insecure', '--logfile', log, '--inline-commands', '--priority', priority]
        if starttls:
            argv += ['--starttls-proto=xmpp', '-p', str(server.c2s_port)]
        else:
            argv += ['-p', str(server.direct_tls_port)]
        return Cell(PipeTool(argv + [server.domain], name=self.name), files=[log])

    def verify(self, cell, suite, key_updated):
        with open(cell.files[0], errors='replace') as f:
            log = f.read()
        require(log, r'^- Description: \(TLS1\.%s-' % ('3' if suite else '2'), 'negotiated version')
        if suite:
            require(log, r'^- Description: .*\(%s\)$' % self.CIPHERS[suite], 'negotiated suite')
        if key_updated and len(re.findall(r'^- Rekey was completed$', log, re.M)) != 2:
            raise AssertionError('not 2 KeyUpdates completed: %r' % log[-1500:])
        require(log, r'^- Peer has closed the GnuTLS connection$', "the server's close_notify")


class Nss:
    """tstclnt has no STARTTLS: StartTlsShim does the plain-text part, tstclnt all of the TLS.
    It has no KeyUpdate command, and reports no close_notify (it reads one as an end of file)."""
    name = 'NSS tstclnt'
    key_updates, key_update_taken = (), None
    line_end = ''
    exits_at_server_close = False   # it waits for the end of its input as well
    CIPHERS = {'TLS_AES_128_GCM_SHA256': (':1301', '128-bit AES-GCM'),
               'TLS_AES_256_GCM_SHA384': (':1302', '256-bit AES-GCM'),
               'TLS_CHACHA20_POLY1305_SHA256': (':1303', '256-bit CHACHA20POLY1305')}

    def client(self, server, starttls, suite, workdir):
        shim = StartTlsShim(server.c2s_port, server.domain) if starttls else None
        port = shim.port if shim else server.direct_tls_port
        # -D: no certificate database; -o: take the server's self-signed certificate.
        argv = ['tstclnt', '-v', '-D', '-o', '-h', '127.0.0.1', '-p', str(port)]
        argv += ['-V', 'tls1.3:tls1.3', '-c', self.CIPHERS[suite][0]] if suite else ['-V', 'tls1.2:tls1.2']
        return Cell(PipeTool(argv, name=self.name), shim=shim)

    def verify(self, cell, suite, key_updated):
        if cell.shim and cell.shim.error:
            raise AssertionError('STARTTLS shim: %s' % cell.shim.error)
        err = cell.tool.errors().decode(errors='replace')
        require(err, r'SSL version 3\.%s using ' % ('4' if suite else '3'), 'negotiated version')
        if suite:
            require(err, r'SSL version 3\.4 using %s' % re.escape(self.CIPHERS[suite][1]), 'negotiated suite')


class PythonSsl:
    """Python's ssl module in tls_pipe.py. Python has no KeyUpdate call and no TLS 1.3 suite
    setting: the suite comes from an OpenSSL configuration file (OPENSSL_CONF)."""
    name = 'Python ssl'
    key_updates, key_update_taken = (), None
    line_end = ''
    exits_at_server_close = True

    def client(self, server, starttls, suite, workdir):
        argv = [sys.executable, os.path.join(HERE, 'tls_pipe.py'), '--tls', '1.3' if suite else '1.2']
        argv += ['--port', str(server.c2s_port), '--starttls', server.domain] if starttls \
            else ['--port', str(server.direct_tls_port)]
        env = dict(os.environ)
        if suite:
            env['OPENSSL_CONF'] = openssl_conf(workdir, 'client', ['Ciphersuites = %s' % suite])
        return Cell(PipeTool(argv, env=env, name=self.name))

    def verify(self, cell, suite, key_updated):
        err = cell.tool.errors().decode(errors='replace')
        require(err, r'^negotiated TLSv1\.%s %s$' % ('3' if suite else '2', suite or r'\S+'), 'negotiated version and suite')
        require(err, r'^close_notify received$', "the server's close_notify")
