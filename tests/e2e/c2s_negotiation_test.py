"""End-to-end, raw sockets: stream negotiation and every refusal it has.

Each case sends what a broken or hostile client would, checks that the
server answers with the error RFC 6120 names, and then checks that the
server still serves a well-behaved client.
"""
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import DOMAIN, HEADER, RawClient  # noqa: E402


def stream_error(reply):
    match = re.search(rb"<stream:error><([a-z-]+)", reply)
    return match.group(1).decode() if match else None


def sasl_failure(reply):
    match = re.search(rb"<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><([a-z-]+)", reply)
    return match.group(1).decode() if match else None


class NegotiationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(
            shards=2,
            flags=["--require-tls=false", "--xml-stanza-bytes-max=4096", "--xml-attribute-value-bytes-max=1024",
                   "--idle-timeout-ms=1500", "--sasl-attempts-max=2"],
            accounts=[("alice@" + DOMAIN, "secret")])

    @classmethod
    def tearDownClass(cls):
        assert cls.server.stop() == 0

    def tearDown(self):
        # After every refusal, a well-behaved client still gets served.
        client = RawClient(self.server.port)
        client.open_stream()
        self.assertIn(b"<success", client.plain("alice", "secret"))
        client.send(HEADER % DOMAIN)
        client.read_until(rb"<bind ")
        client.send("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                    "<resource>probe</resource></bind></iq>")
        client.read_until(rb"alice@example.org/probe</jid>")
        client.send("<iq type='get' id='p1' to='example.org'><ping xmlns='urn:xmpp:ping'/></iq>")
        client.read_until(rb"<iq[^>]*id='p1'[^>]*type='result'|<iq[^>]*type='result'[^>]*id='p1'")
        client.close()

    def test_features_offer_scram_and_plain(self):
        client = RawClient(self.server.port)
        features = client.open_stream()
        self.assertIn(b"<mechanism>SCRAM-SHA-256</mechanism>", features)
        self.assertIn(b"<mechanism>PLAIN</mechanism>", features)
        client.close()

    def test_wrong_password(self):
        client = RawClient(self.server.port)
        client.open_stream()
        self.assertEqual(sasl_failure(client.plain("alice", "wrong")), "not-authorized")
        client.close()

    def test_unknown_user_looks_like_wrong_password(self):
        client = RawClient(self.server.port)
        client.open_stream()
        self.assertEqual(sasl_failure(client.plain("nobody", "secret")), "not-authorized")
        client.close()

    def test_attempts_are_bounded(self):
        client = RawClient(self.server.port)
        client.open_stream()
        client.plain("alice", "wrong")
        client.plain("alice", "wrong")
        self.assertEqual(stream_error(client.read_to_close()), "policy-violation")
        client.close()

    def test_unknown_mechanism(self):
        client = RawClient(self.server.port)
        client.open_stream()
        client.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='X-MAGIC'/>")
        self.assertEqual(sasl_failure(client.read_until(rb"</failure>")), "invalid-mechanism")
        client.close()

    def test_unknown_host(self):
        client = RawClient(self.server.port)
        self.assertEqual(stream_error(client.open_stream("elsewhere.net")), "host-unknown")
        client.close()

    def test_wrong_namespace(self):
        client = RawClient(self.server.port)
        client.send("<stream:stream to='example.org' xmlns='jabber:server' "
                    "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")
        self.assertEqual(stream_error(client.read_to_close()), "invalid-namespace")
        client.close()

    def test_malformed_xml(self):
        client = RawClient(self.server.port)
        client.open_stream()
        client.send("<message><body>unclosed</message>")
        self.assertEqual(stream_error(client.read_to_close()), "not-well-formed")
        client.close()

    def test_restricted_xml(self):
        client = RawClient(self.server.port)
        client.open_stream()
        client.send("<!-- a comment is not allowed -->")
        self.assertEqual(stream_error(client.read_to_close()), "restricted-xml")
        client.close()

    def test_entity_bomb_is_refused_without_expansion(self):
        client = RawClient(self.server.port)
        client.send("<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>]>")
        self.assertEqual(stream_error(client.read_to_close()), "restricted-xml")
        client.close()

    def test_oversized_stanza(self):
        client = RawClient(self.server.port)
        client.open_stream()
        client.send("<message><body>" + "x" * 10000 + "</body></message>")
        self.assertEqual(stream_error(client.read_to_close()), "policy-violation")
        client.close()

    def test_stanza_before_auth(self):
        client = RawClient(self.server.port)
        client.open_stream()
        client.send("<message to='alice@example.org'><body>hi</body></message>")
        self.assertEqual(stream_error(client.read_to_close()), "not-authorized")
        client.close()

    def test_stanza_before_bind(self):
        client = RawClient(self.server.port)
        client.open_stream()
        client.plain("alice", "secret")
        client.send(HEADER % DOMAIN)
        client.read_until(rb"<bind ")
        client.send("<message to='alice@example.org'><body>hi</body></message>")
        self.assertEqual(stream_error(client.read_to_close()), "not-authorized")
        client.close()

    def test_spoofed_from(self):
        client = RawClient(self.server.port)
        client.open_stream()
        client.plain("alice", "secret")
        client.send(HEADER % DOMAIN)
        client.read_until(rb"<bind ")
        client.send("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>")
        client.read_until(rb"</jid>")
        client.send("<message from='bob@example.org' to='alice@example.org'><body>x</body></message>")
        self.assertEqual(stream_error(client.read_to_close()), "invalid-from")
        client.close()

    def test_idle_connection_times_out(self):
        client = RawClient(self.server.port)
        client.open_stream()
        start = time.time()
        self.assertEqual(stream_error(client.read_to_close(timeout=10)), "connection-timeout")
        self.assertGreater(time.time() - start, 1.0)
        client.close()

    def test_second_session_with_same_resource_replaces_the_first(self):
        first = RawClient(self.server.port)
        second = RawClient(self.server.port)
        for client in (first, second):
            client.open_stream()
            client.plain("alice", "secret")
            client.send(HEADER % DOMAIN)
            client.read_until(rb"<bind ")
            client.send("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                        "<resource>same</resource></bind></iq>")
            client.read_until(rb"</jid>")
        self.assertEqual(stream_error(first.read_to_close()), "conflict")
        first.close()
        second.close()


class TlsRequiredTest(unittest.TestCase):
    def test_garbage_instead_of_a_tls_handshake_closes_the_connection(self):
        server = harness.Server(shards=1)
        try:
            client = RawClient(server.port)
            features = client.open_stream()
            self.assertIn(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/>",
                          features)
            client.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
            client.read_until(rb"<proceed")
            client.send("this is not a TLS ClientHello\r\n" * 4)
            client.buffer = b""
            reply = client.read_to_close()
            # A TLS alert record (content type 21), then the close.
            self.assertTrue(reply == b"" or reply[0] == 21, reply)
            client.close()
        finally:
            self.assertEqual(server.stop(), 0)

    def test_plain_without_tls_is_refused(self):
        server = harness.Server(shards=1, accounts=[("alice@" + DOMAIN, "secret")])
        try:
            client = RawClient(server.port)
            client.open_stream()
            self.assertEqual(sasl_failure(client.plain("alice", "secret")), "encryption-required")
            client.close()
        finally:
            self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]])
