"""End-to-end: where sessions live, and what survives a crash.

- Every connection of a user is bound on the user's home shard
  (stable_hash(bare JID) % shards), whichever shard accepted it.
- A roster change the server acknowledged survives kill -9 of the server.
- A slow disk (every fsync stalled 500 ms) delays only the acknowledgements
  that wait for it: another user's ping on the same shard is answered first.
- ringletctl manages accounts of a running server through its admin socket.
"""
import os
import re
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import DOMAIN, RawClient  # noqa: E402

SHARDS = 2


def users_by_shard():
    found = {}
    for i in range(100):
        jid = "user%d@%s" % (i, DOMAIN)
        found.setdefault(harness.home_shard(jid, SHARDS), jid)
    return found[0], found[1]


class ShardPlacementTest(unittest.TestCase):
    def test_every_connection_of_a_user_lands_on_its_home_shard(self):
        first, second = users_by_shard()
        server = harness.Server(shards=SHARDS, flags=["--require-tls=false", "--log-level=debug"],
                                accounts=[(first, "pw"), (second, "pw")])
        try:
            clients = []
            for jid in (first, second):
                for resource in ("r1", "r2", "r3"):
                    client = RawClient(server.port)
                    client.login(jid.split("@")[0], "pw", resource)
                    clients.append(client)
            # The accept side is the kernel's choice; the bind side is not.
            bound = {}
            for line in server.log:
                match = re.search(r"bound (\S+)/(r\d) on shard (\d+)", line)
                if match:
                    bound.setdefault(match.group(1), set()).add(int(match.group(3)))
            self.assertEqual(bound[first], {harness.home_shard(first, SHARDS)})
            self.assertEqual(bound[second], {harness.home_shard(second, SHARDS)})
            self.assertNotEqual(bound[first], bound[second])
            # A chat message to the bare JID crosses shards and reaches every
            # available resource of the recipient (RFC 6121 §8.5.2.1.1).
            for client in clients:
                client.send("<presence/>")
            # Wait until every session is available: each gets its own
            # presence back (RFC 6121 §4.2.2).
            for index, client in enumerate(clients):
                jid = (first, second)[index // 3]
                resource = "r%d" % (index % 3 + 1)
                client.read_until(("from='%s/%s'" % (jid, resource)).encode())
            clients[0].send("<message to='%s' type='chat'><body>across</body></message>" % second)
            for client in clients[3:]:
                client.read_until(rb"<body>across</body>")
            for client in clients:
                client.close()
        finally:
            self.assertEqual(server.stop(), 0)


class DurabilityTest(unittest.TestCase):
    def test_acknowledged_roster_change_survives_kill_9(self):
        server = harness.Server(shards=SHARDS, flags=["--require-tls=false"],
                                accounts=[("alice@" + DOMAIN, "pw")])
        client = RawClient(server.port)
        client.login("alice", "pw", "desk")
        client.send("<iq type='set' id='r1'><query xmlns='jabber:iq:roster'>"
                    "<item jid='bob@example.org' name='Bob'><group>Friends</group></item>"
                    "</query></iq>")
        client.read_until(rb"id='r1'[^>]*type='result'|type='result'[^>]*id='r1'")
        # Acknowledged: now crash the server without any chance to flush.
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=10)
        client.close()

        restarted = harness.Server(shards=SHARDS, flags=["--require-tls=false"],
                                   data_dir=server.data_dir)
        try:
            client = RawClient(restarted.port)
            client.login("alice", "pw", "desk")
            client.send("<iq type='get' id='r2'><query xmlns='jabber:iq:roster'/></iq>")
            reply = client.read_until(rb"</query>")
            self.assertIn(b"jid='bob@example.org'", reply)
            self.assertIn(b"<group>Friends</group>", reply)
            client.close()
        finally:
            self.assertEqual(restarted.stop(), 0)


class SlowDiskTest(unittest.TestCase):
    def test_stalled_fsync_does_not_stall_the_shard(self):
        server = harness.Server(shards=1, flags=["--require-tls=false",
                                                 "--fault-storage-sync-stall-ms=500"],
                                accounts=[("alice@" + DOMAIN, "pw"), ("bob@" + DOMAIN, "pw")])
        try:
            alice = RawClient(server.port, timeout=10)
            alice.login("alice", "pw", "desk")
            bob = RawClient(server.port, timeout=10)
            bob.login("bob", "pw", "phone")
            start = time.monotonic()
            alice.send("<iq type='set' id='r1'><query xmlns='jabber:iq:roster'>"
                       "<item jid='carol@example.org'/></query></iq>")
            time.sleep(0.05)  # the roster write is committed, its fsync stalled
            bob.send("<iq type='get' id='p1' to='%s'><ping xmlns='urn:xmpp:ping'/></iq>" % DOMAIN)
            bob.read_until(rb"id='p1'")
            ping_answered = time.monotonic() - start
            alice.read_until(rb"id='r1'[^>]*type='result'|type='result'[^>]*id='r1'")
            roster_acknowledged = time.monotonic() - start
            # Order, not speed: the ack waits for the stalled fsync, the ping
            # does not wait for the ack.
            self.assertLess(ping_answered, roster_acknowledged)
            self.assertGreaterEqual(roster_acknowledged, 0.5)
            alice.close()
            bob.close()
        finally:
            self.assertEqual(server.stop(), 0)


class AdminSocketTest(unittest.TestCase):
    def test_ringletctl_manages_accounts_of_a_running_server(self):
        server = harness.Server(shards=SHARDS, flags=["--require-tls=false"])
        try:
            def ctl(*args):
                return subprocess.run([harness.RINGLETCTL, "--admin_socket=" + server.admin_socket,
                                       *args], capture_output=True, text=True, timeout=30)
            self.assertEqual(ctl("user", "add", "carol@" + DOMAIN, "pw").returncode, 0)
            self.assertIn("carol@" + DOMAIN, ctl("user", "list", DOMAIN).stdout)
            client = RawClient(server.port)
            client.login("carol", "pw", "phone")
            client.close()
            stats = ctl("stats")
            self.assertEqual(stats.returncode, 0)
            self.assertIn("ringlet_connections_open", stats.stdout)
            # Offline access to a data dir the server holds is refused clearly.
            locked = subprocess.run([harness.RINGLETCTL, "--data_dir=" + server.data_dir,
                                     "--admin_socket=/nonexistent/sock", "user", "list", DOMAIN],
                                    capture_output=True, text=True, timeout=30)
            self.assertNotEqual(locked.returncode, 0)
        finally:
            self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]])
