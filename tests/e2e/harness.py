"""Starts and stops a real ringletd for end-to-end tests.

Accounts are created with the real ringletctl against the data directory
before the server starts. The server listens on 127.0.0.1, port chosen by
the kernel (read back from its log), and is stopped by PID.
"""
import base64
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

RUNFILES = os.path.join(os.environ.get("TEST_SRCDIR", ""), "ringlet")


def binary(relative, fallback):
    path = os.path.join(RUNFILES, relative)
    return path if os.path.exists(path) else fallback


DOMAIN = "example.org"
HEADER = ("<?xml version='1.0'?><stream:stream to='%s' xmlns='jabber:client' "
          "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")

RINGLETD = binary("xmpp/server/ringletd", "bazel-bin/xmpp/server/ringletd")
RINGLETCTL = binary("tools/ringletctl", "bazel-bin/tools/ringletctl")


def stable_hash(text):
    """core/stable_hash.h: FNV-1a 64 then the splitmix64 finaliser."""
    mask = (1 << 64) - 1
    h = 0xcbf29ce484222325
    for byte in text.encode():
        h ^= byte
        h = (h * 0x100000001b3) & mask
    h ^= h >> 30
    h = (h * 0xbf58476d1ce4e5b9) & mask
    h ^= h >> 27
    h = (h * 0x94d049bb133111eb) & mask
    h ^= h >> 31
    return h


def home_shard(bare_jid, shards):
    return stable_hash(bare_jid) % shards


class Server:
    def __init__(self, domain="example.org", shards=2, flags=(), accounts=(), data_dir=None):
        self.domain = domain
        self.shards = shards
        self.data_dir = data_dir or tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        for jid, password in accounts:
            self.ctl("user", "add", jid, password)
        self.log = []
        # A unix socket path must stay under 108 bytes: keep it in /tmp.
        self.admin_socket = os.path.join(tempfile.mkdtemp(prefix="ringlet-"), "admin.sock")
        self.process = subprocess.Popen(
            [RINGLETD, "--c2s-listen=127.0.0.1:0", "--c2s-tls-listen=127.0.0.1:0",
             "--admin-socket=" + self.admin_socket, "--data-dir=" + self.data_dir,
             "--domain=" + domain, "--shards=%d" % shards, "--pin-shards=false", *flags],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.port = None
        deadline = time.time() + 15
        while time.time() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.log.append(line)
            match = re.search(r"c2s on 127\.0\.0\.1:(\d+), c2s direct TLS on 127\.0\.0\.1:(\d+)",
                              line)
            if match:
                self.port = int(match.group(1))
                self.tls_port = int(match.group(2))
                break
        if self.port is None:
            self.process.kill()
            raise AssertionError("ringletd did not start:\n" + "".join(self.log))
        # Keep draining the log so the server never blocks on a full pipe.
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self):
        for line in self.process.stdout:
            self.log.append(line)

    def ctl(self, *args):
        result = subprocess.run([RINGLETCTL, "--data_dir=" + self.data_dir, *args],
                                capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise AssertionError("ringletctl %s failed: %s" % (" ".join(args), result.stderr))
        return result.stdout

    def stop(self, timeout=10):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                raise AssertionError("ringletd did not stop within %ss:\n%s"
                                     % (timeout, "".join(self.log[-50:])))
        if self.process.returncode != 0:
            print("ringletd exited with %d; its log ends:\n%s"
                  % (self.process.returncode, "".join(self.log[-50:])), file=sys.stderr)
        return self.process.returncode


class RawClient:
    def __init__(self, port, timeout=5):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""

    def send(self, data):
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def read_until(self, pattern, timeout=5):
        deadline = time.time() + timeout
        while not re.search(pattern, self.buffer):
            if time.time() > deadline:
                raise AssertionError("no %r in %r" % (pattern, self.buffer))
            self.sock.settimeout(max(0.05, deadline - time.time()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise AssertionError("closed before %r; got %r" % (pattern, self.buffer))
            self.buffer += chunk
        return self.buffer

    def read_to_close(self, timeout=5):
        self.sock.settimeout(timeout)
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                return self.buffer
            self.buffer += chunk

    def open_stream(self, domain=DOMAIN):
        self.send(HEADER % domain)
        return self.read_until(rb"</stream:features>|<stream:features/>|</stream:stream>")

    def plain(self, user, password):
        token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()
        self.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s</auth>"
                  % token)
        return self.read_until(rb"<success|</failure>|<failure[^>]*/>")

    def close(self):
        self.sock.close()

    def login(self, user, password, resource):
        """Opens a stream, authenticates with PLAIN, binds `resource`."""
        self.open_stream()
        reply = self.plain(user, password)
        if b"<success" not in reply:
            raise AssertionError("login failed: %r" % reply)
        self.send(HEADER % DOMAIN)
        self.read_until(rb"<bind ")
        self.send("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                  "<resource>%s</resource></bind></iq>" % resource)
        self.read_until(rb"</jid>")
        self.buffer = b""
