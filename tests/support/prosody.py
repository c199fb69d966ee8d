"""A throwaway Prosody 0.12 (Debian) and the private dnsmasq that it and its peers resolve
each other through, for the federation interop tests. Everything listens on 127.0.0.1 on
free ports inside the caller's work directory.

Prosody resolves with lua-unbound, forwarded to the dnsmasq with the `test.` zone made
transparent; its certificate is self-signed, so the streams to and from it authenticate by
dialback. Both need ports known before either starts (the DNS names Prosody's s2s port,
Prosody names the DNS port), so both take their ports when constructed."""

import os
import signal
import socket
import struct
import subprocess
import time

from waitlistd import free_port, port_answers


def wait_port(port, limit=10.0):
    end = time.time() + limit
    while time.time() < end:
        if port_answers(port, timeout=0.2):
            return True
        time.sleep(0.05)
    return False


def self_signed(directory, domain):
    """DIRECTORY/DOMAIN.key and DIRECTORY/DOMAIN.crt, for the domain and its subdomains."""
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
                    '-nodes', '-days', '2', '-subj', f'/CN={domain}',
                    '-addext', f'subjectAltName=DNS:{domain},DNS:*.{domain}',
                    '-keyout', f'{directory}/{domain}.key', '-out', f'{directory}/{domain}.crt'],
                   check=True, capture_output=True)


def xmpp_server_records(domain, port):
    """What a deployment publishes for DOMAIN's s2s port: its address and the SRV record."""
    return [f'host-record={domain},127.0.0.1', f'srv-host=_xmpp-server._tcp.{domain},{domain},{port},0,5']


def srv_to_localhost(domain, port):
    """What many test and private-peering set-ups publish instead: the SRV record alone, its
    target `localhost`, a name the DNS itself does not know (RFC 6761 §6.3)."""
    return [f'srv-host=_xmpp-server._tcp.{domain},localhost,{port},0,5']


def stop(proc, timeout=15):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Dnsmasq:
    def __init__(self, work):
        self.work, self.port, self.proc = work, free_port(), None

    def start(self, records):
        """Serves the `test.` zone with RECORDS (dnsmasq configuration lines) and nothing else;
        whether it answers on its port."""
        with open(f'{self.work}/dnsmasq.conf', 'w') as f:
            f.write(f'port={self.port}\nlisten-address=127.0.0.1\nbind-interfaces\nno-resolv\nno-hosts\nno-poll\n'
                    f'local=/test/\nuser=root\n' + ''.join(r + '\n' for r in records))
        self.proc = subprocess.Popen(['dnsmasq', '--keep-in-foreground', f'--conf-file={self.work}/dnsmasq.conf',
                                      f'--pid-file={self.work}/dnsmasq.pid',
                                      f'--log-facility={self.work}/dnsmasq.log', '--log-queries'])
        return wait_port(self.port)

    def address_answers(self, name):
        """(rcode, number of answers) for an A query of NAME, over UDP."""
        query_id = int.from_bytes(os.urandom(2), 'big')
        question = b''.join(bytes([len(label)]) + label.encode() for label in name.split('.')) + b'\0'
        packet = struct.pack('>HHHHHH', query_id, 0x0100, 1, 0, 0, 0) + question + struct.pack('>HH', 1, 1)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(3)
            s.sendto(packet, ('127.0.0.1', self.port))
            reply, _ = s.recvfrom(4096)
        _, flags, _, answer_count, _, _ = struct.unpack('>HHHHHH', reply[:12])
        return flags & 0x000f, answer_count

    def stop(self):
        if self.proc:
            stop(self.proc)


class Prosody:
    def __init__(self, work, domain, users, extra_config=''):
        """USERS: {name: password}; EXTRA_CONFIG: global options, before the VirtualHost."""
        self.dir = f'{work}/prosody'
        self.domain, self.users, self.extra_config = domain, users, extra_config
        self.c2s_port, self.s2s_port = free_port(), free_port()
        self.proc = None

    def start(self, dns_port):
        """Whether its client port answers once started."""
        pdir = self.dir
        os.makedirs(f'{pdir}/data')
        os.makedirs(f'{pdir}/certs')
        self_signed(f'{pdir}/certs', self.domain)
        cfg = f'{pdir}/prosody.cfg.lua'
        with open(cfg, 'w') as f:
            f.write(f'''pidfile = "{pdir}/prosody.pid"
data_path = "{pdir}/data"
certificates = "{pdir}/certs"
admin_socket = "{pdir}/admin.sock"
log = {{ debug = "{pdir}/prosody.log"; }}
run_as_root = true
interfaces = {{ "127.0.0.1" }}
c2s_ports = {{ {self.c2s_port} }}
s2s_ports = {{ {self.s2s_port} }}
c2s_direct_tls_ports = {{}}
s2s_direct_tls_ports = {{}}
https_ports = {{}}
http_ports = {{}}
modules_enabled = {{ "roster"; "saslauth"; "tls"; "dialback"; "disco"; "ping"; "posix"; }}
modules_disabled = {{ "offline"; }}
authentication = "internal_hashed"
storage = "internal"
allow_registration = false
c2s_require_encryption = true
s2s_require_encryption = true
s2s_secure_auth = false
unbound = {{ resolvconf = false; hoststxt = false; forward = "127.0.0.1@{dns_port}";
  options = {{ ["local-zone:"] = "test. transparent"; ["do-not-query-localhost:"] = "no"; }} }}
{self.extra_config}VirtualHost "{self.domain}"
''')
        for user, password in self.users.items():
            subprocess.run(['prosodyctl', '--config', cfg, 'register', user, self.domain, password],
                           check=True, capture_output=True)
        self.proc = subprocess.Popen(['prosody', '-F', '--config', cfg], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        return wait_port(self.c2s_port)

    def log_text(self):
        try:
            with open(f'{self.dir}/prosody.log', errors='replace') as f:
                return f.read()
        except OSError:
            return ''

    def stop(self):
        if self.proc:
            stop(self.proc)
