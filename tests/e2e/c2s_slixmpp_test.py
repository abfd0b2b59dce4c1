"""End-to-end: real XMPP clients (python3-slixmpp) against the real ringletd.

Two users homed on different shards log in, build a mutual subscription
through the RFC 6121 handshake, see each other's presence and exchange
messages across shards; messages to an offline user wait for them; the
server answers ping; the roster survives a restart.
"""
import asyncio
import logging
import os
import ssl
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
import slixmpp  # noqa: E402

DOMAIN = "example.org"
PASSWORD = "correct horse"
TIMEOUT = 10


def pick_users(shards):
    """Two users whose home shards differ, and a third on the first's shard."""
    users = {}
    for i in range(100):
        jid = "user%d@%s" % (i, DOMAIN)
        users.setdefault(harness.home_shard(jid, shards), []).append(jid)
    return users[0][0], users[1][0], users[0][1]


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, server):
        super().__init__(jid, password)
        self.ringlet = server
        self.messages = asyncio.Queue()
        self.presences = asyncio.Queue()
        self.subscriptions = asyncio.Queue()
        self.started = asyncio.get_event_loop().create_future()
        self.add_event_handler("session_start", self.on_start)
        self.add_event_handler("message", lambda m: self.messages.put_nowait(m))
        self.add_event_handler("presence_available", lambda p: self.presences.put_nowait(p))
        self.add_event_handler("presence_subscribe", lambda p: self.subscriptions.put_nowait(p))
        self.add_event_handler("failed_all_auth", lambda *_: self.started.done() or
                               self.started.set_exception(AssertionError("auth failed")))
        self.add_event_handler("disconnected", lambda *_: self.started.done() or
                               self.started.set_exception(AssertionError("disconnected")))
        self.register_plugin("xep_0199")  # ping
        self.register_plugin("xep_0203")  # delayed delivery
        # Subscriptions are answered by the test, not automatically.
        self.auto_authorize = None
        self.auto_subscribe = False

    async def on_start(self, _):
        await self.get_roster()
        self.send_presence()
        if not self.started.done():
            self.started.set_result(True)

    async def login(self, direct_tls=False):
        # The server's certificate is the self-signed one ringletd made.
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        if direct_tls:
            self.enable_direct_tls = True
            self.connect(("127.0.0.1", self.ringlet.tls_port), use_ssl=True)
        else:
            self.connect(("127.0.0.1", self.ringlet.port), force_starttls=True)
        await asyncio.wait_for(self.started, TIMEOUT)
        self.used_mechanism = self["feature_mechanisms"].mech.name if self["feature_mechanisms"].mech else None


async def expect(queue, predicate=lambda item: True):
    while True:
        item = await asyncio.wait_for(queue.get(), TIMEOUT)
        if predicate(item):
            return item


async def close(*clients):
    for client in clients:
        client.disconnect()
    for client in clients:
        try:
            await asyncio.wait_for(client.disconnected, 2)
        except Exception:
            pass


class C2sSlixmppTest(unittest.TestCase):
    def setUp(self):
        self.alice_jid, self.bob_jid, self.carol_jid = pick_users(2)
        self.server = harness.Server(
            shards=2,
            accounts=[(j, PASSWORD) for j in (self.alice_jid, self.bob_jid, self.carol_jid)])
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)

    def tearDown(self):
        self.loop.close()
        self.assertEqual(self.server.stop(), 0)

    def run_async(self, coroutine):
        self.loop.run_until_complete(asyncio.wait_for(coroutine, 60))

    def test_subscription_presence_and_messages_across_shards(self):
        async def scenario():
            alice = Client(self.alice_jid, PASSWORD, self.server)
            bob = Client(self.bob_jid, PASSWORD, self.server)
            await alice.login()
            await bob.login()

            # Alice asks to see Bob's presence; Bob approves and asks back.
            alice.send_presence(pto=self.bob_jid, ptype="subscribe")
            request = await expect(bob.subscriptions)
            self.assertEqual(request["from"].bare, self.alice_jid)
            bob.send_presence(pto=self.alice_jid, ptype="subscribed")
            await expect(alice.presences, lambda p: p["from"].bare == self.bob_jid)
            bob.send_presence(pto=self.alice_jid, ptype="subscribe")
            await expect(alice.subscriptions)
            alice.send_presence(pto=self.bob_jid, ptype="subscribed")
            await expect(bob.presences, lambda p: p["from"].bare == self.alice_jid)

            roster = await alice.get_roster()
            item = roster["roster"]["items"][slixmpp.JID(self.bob_jid)]
            self.assertEqual(item["subscription"], "both")

            # Messages both ways, across the shard boundary.
            alice.send_message(mto=self.bob_jid, mbody="hello bob", mtype="chat")
            message = await expect(bob.messages)
            self.assertEqual(message["body"], "hello bob")
            self.assertEqual(message["from"].bare, self.alice_jid)
            bob.send_message(mto=message["from"], mbody="hello alice", mtype="chat")
            reply = await expect(alice.messages)
            self.assertEqual(reply["body"], "hello alice")

            # The server answers XEP-0199 ping.
            await alice["xep_0199"].ping(jid=slixmpp.JID(DOMAIN), timeout=TIMEOUT)

            await close(alice, bob)
        self.run_async(scenario())

    def test_offline_message_is_delivered_at_login(self):
        async def scenario():
            alice = Client(self.alice_jid, PASSWORD, self.server)
            await alice.login()
            alice.send_message(mto=self.carol_jid, mbody="while you were out", mtype="chat")
            await asyncio.sleep(0.5)
            carol = Client(self.carol_jid, PASSWORD, self.server)
            await carol.login()
            message = await expect(carol.messages)
            self.assertEqual(message["body"], "while you were out")
            self.assertTrue(message["delay"]["stamp"])
            await close(alice, carol)
        self.run_async(scenario())

    def test_subscription_request_waits_for_an_offline_contact(self):
        async def scenario():
            alice = Client(self.alice_jid, PASSWORD, self.server)
            await alice.login()
            alice.send_presence(pto=self.carol_jid, ptype="subscribe")
            await asyncio.sleep(0.5)
            carol = Client(self.carol_jid, PASSWORD, self.server)
            await carol.login()
            request = await expect(carol.subscriptions)
            self.assertEqual(request["from"].bare, self.alice_jid)
            # Alice's roster shows the pending request (ask='subscribe').
            roster = await alice.get_roster()
            item = roster["roster"]["items"][slixmpp.JID(self.carol_jid)]
            self.assertEqual(item["ask"], "subscribe")
            await close(alice, carol)
        self.run_async(scenario())

    def test_direct_tls_login(self):
        async def scenario():
            alice = Client(self.alice_jid, PASSWORD, self.server)
            await alice.login(direct_tls=True)
            await alice["xep_0199"].ping(jid=slixmpp.JID(DOMAIN), timeout=TIMEOUT)
            await close(alice)
        self.run_async(scenario())

    def test_starttls_with_scram_sha_256(self):
        async def scenario():
            alice = Client(self.alice_jid, PASSWORD, self.server)
            await alice.login()
            self.assertTrue(alice.is_connected())
            self.assertIn("SCRAM-SHA", alice.used_mechanism or "")
            await close(alice)
        self.run_async(scenario())

    def test_wrong_password_is_refused(self):
        async def scenario():
            mallory = Client(self.alice_jid, "wrong", self.server)
            with self.assertRaises(AssertionError):
                await mallory.login()
            await close(mallory)
        self.run_async(scenario())


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)
    unittest.main(argv=[sys.argv[0]])
