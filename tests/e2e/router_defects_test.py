"""End-to-end, raw sockets: defects of the routing layer, each reproduced
against the release binary before it was fixed.

- An offline backlog larger than the client's send queue (12 messages of
  200 KB, 1 MiB queue): it was flushed in one turn and deleted in the same
  turn, the client was cut off, and nothing arrived then or at the next
  login. Now it arrives, page by page, and is deleted only once written.
- Deleting an account (ringletctl user del on the running server) left its
  sessions bound and chatting. Now they are closed with not-authorized.
- Directed presence to 200,000 non-existent users grew the server by
  11 MB, linearly. Now a session remembers at most --directed-presence-max
  recipients and further directed presence is refused with
  resource-constraint.
"""
import os
import re
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import DOMAIN, RawClient  # noqa: E402

SHARDS = 2


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def read_count(client, needle, count, timeout=20):
    """Reads until `needle` was seen `count` times; returns what was read."""
    deadline = time.time() + timeout
    while client.buffer.count(needle) < count:
        if time.time() > deadline:
            raise AssertionError("%d of %d %r" % (client.buffer.count(needle), count, needle))
        client.sock.settimeout(max(0.05, deadline - time.time()))
        try:
            chunk = client.sock.recv(1 << 20)
        except socket.timeout:
            continue
        if not chunk:
            raise AssertionError("closed after %d of %d %r"
                                 % (client.buffer.count(needle), count, needle))
        client.buffer += chunk
    got, client.buffer = client.buffer, b""
    return got


class RouterDefectsTest(unittest.TestCase):
    def server(self, *flags):
        server = harness.Server(
            shards=SHARDS, flags=["--require-tls=false", *flags],
            accounts=[("alice@" + DOMAIN, "pw"), ("bob@" + DOMAIN, "pw")])
        self.addCleanup(lambda: self.assertEqual(server.stop(), 0))
        return server

    def test_offline_backlog_larger_than_the_send_queue_arrives_whole(self):
        server = self.server()
        alice = RawClient(server.port)
        alice.login("alice", "pw", "desk")
        body = "x" * (200 * 1000)
        for i in range(12):
            alice.send("<message to='bob@%s' type='chat' id='m%d'><body>%d %s</body></message>"
                       % (DOMAIN, i, i, body))
        # Everything is stored before bob logs in (an iq round trip orders it).
        alice.send("<iq type='get' id='sync' to='%s'><ping xmlns='urn:xmpp:ping'/></iq>" % DOMAIN)
        alice.read_until(rb"id='sync'", timeout=20)
        bob = RawClient(server.port, timeout=20)
        bob.login("bob", "pw", "phone")
        bob.send("<presence/>")
        got = read_count(bob, b"</message>", 12, timeout=30)
        ids = re.findall(rb"<body>(\d+) ", got)
        self.assertEqual(sorted(int(i) for i in ids), list(range(12)))
        bob.close()
        # Written, so deleted: a second login finds nothing.
        again = RawClient(server.port)
        again.login("bob", "pw", "tablet")
        again.send("<presence/><iq type='get' id='p' to='%s'><ping xmlns='urn:xmpp:ping'/></iq>"
                   % DOMAIN)
        reply = again.read_until(rb"id='p'")
        self.assertNotIn(b"<body>", reply)
        again.close()
        alice.close()

    def test_deleting_an_account_ends_its_sessions(self):
        server = self.server()
        bob = RawClient(server.port)
        bob.login("bob", "pw", "phone")
        result = subprocess.run([harness.RINGLETCTL, "--admin_socket=" + server.admin_socket,
                                 "user", "del", "bob@" + DOMAIN],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)
        closed = bob.read_to_close(timeout=10)
        self.assertIn(b"<not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>", closed)
        # And the account is gone for new logins.
        again = RawClient(server.port)
        again.open_stream()
        self.assertIn(b"<not-authorized/>", again.plain("bob", "pw"))
        again.close()

    def test_directed_presence_memory_is_bounded(self):
        # Few receive buffers: the kernel cycles through all of them, so
        # with the default 4096 (16 MiB a shard) RSS would grow for a while
        # with any traffic; 64 are touched after the first stanzas.
        server = self.server("--directed-presence-max=100", "--recv-buffer-count=64")
        alice = RawClient(server.port)
        alice.login("alice", "pw", "desk")
        batch = "".join("<presence to='ghost%d@%s'/>" % (i, DOMAIN) for i in range(100))
        alice.send(batch)
        alice.send("<iq type='get' id='sync' to='%s'><ping xmlns='urn:xmpp:ping'/></iq>" % DOMAIN)
        reply = alice.read_until(rb"id='sync'")
        self.assertNotIn(b"resource-constraint", reply)
        before = rss_kib(server.process.pid)
        # 100,000 more recipients (~5.5 MB before the bound): each is
        # refused, nothing is remembered.
        for start in range(100, 100100, 1000):
            alice.send("".join("<presence to='ghost%d@%s'/>" % (i, DOMAIN)
                               for i in range(start, start + 1000)))
            read_count(alice, b"<resource-constraint ", 1000)
        grown = rss_kib(server.process.pid) - before
        # Under AddressSanitizer freed memory sits in its quarantine, so RSS
        # says nothing there; the refusals above are checked either way.
        if "ASAN_OPTIONS" not in os.environ:
            self.assertLess(grown, 2048, "server grew by %d KiB" % grown)
        # Unavailable directed presence frees a place again.
        alice.send("<presence to='ghost0@%s' type='unavailable'/><presence to='new@%s'/>"
                   "<iq type='get' id='s2' to='%s'><ping xmlns='urn:xmpp:ping'/></iq>"
                   % (DOMAIN, DOMAIN, DOMAIN))
        self.assertNotIn(b"resource-constraint", alice.read_until(rb"id='s2'"))
        alice.close()


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]])
