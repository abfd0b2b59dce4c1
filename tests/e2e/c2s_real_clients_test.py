"""End-to-end with stock clients at their default settings: every login
succeeds on its first try, with no SASL failure, 20 times in a row from one
address.

- python3-slixmpp 1.8.3 (Debian): with -PLUS offered it tried
  SCRAM-SHA-256-PLUS with tls-unique (undefined for TLS 1.3), then
  SCRAM-SHA-1-PLUS, and only then plain SCRAM; the two failures counted
  against its address locked it out after ~10 logins.
- @xmpp/client 0.14 (xmpp.js, from the npm registry): failed one SCRAM-SHA-1
  login in six when our server nonce contained a '"'.

The only client settings are the ones a user of a server with a self-signed
certificate makes: trust that certificate. The xmpp.js case needs Node.js,
npm and the npm registry; it is skipped without them, except under CI
(CI=true), where a skipped interop test is a failure.
"""
import asyncio
import json
import logging
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import unicodedata
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import DOMAIN, HEADER, RawClient  # noqa: E402
import slixmpp  # noqa: E402

PASSWORD = "correct horse"
LOGINS = 20
XMPPJS_VERSION = "0.14"
HERE = os.path.dirname(os.path.abspath(__file__))


class SlixmppLogin(slixmpp.ClientXMPP):
    """A default slixmpp client that records each SASL failure."""

    def __init__(self, jid, password, ca_file):
        super().__init__(jid, password)
        self.ca_certs = ca_file  # trust the server's self-signed certificate
        self.failures = []
        self.mechanism = None
        self.done = asyncio.get_event_loop().create_future()
        self.register_plugin("xep_0199")
        self.add_event_handler("failed_auth", lambda stanza: self.failures.append(str(stanza)))
        self.add_event_handler("session_start", self.on_start)
        self.add_event_handler("failed_all_auth", lambda *_: self.finish(False))
        self.add_event_handler("disconnected", lambda *_: self.finish(False))

    def finish(self, ok):
        if not self.done.done():
            self.done.set_result(ok)

    async def on_start(self, _):
        mech = self["feature_mechanisms"].mech
        self.mechanism = mech.name if mech else None
        await self["xep_0199"].ping(jid=slixmpp.JID(DOMAIN), timeout=5)
        self.finish(True)


def ca_file(server):
    return os.path.join(server.data_dir, "tls", "self-signed.crt")


async def slixmpp_login(server, jid, password):
    client = SlixmppLogin(jid, password, ca_file(server))
    client.connect(("127.0.0.1", server.port))
    try:
        ok = await asyncio.wait_for(client.done, 15)
    finally:
        client.disconnect()
        try:
            await asyncio.wait_for(client.disconnected, 2)
        except Exception:
            pass
    return ok, client.failures, client.mechanism


class SlixmppTest(unittest.TestCase):
    def run_async(self, coroutine):
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            return loop.run_until_complete(coroutine)
        finally:
            loop.close()

    def logins(self, server, count, jid="alice@" + DOMAIN, password=PASSWORD):
        async def scenario():
            results = []
            for _ in range(count):
                results.append(await slixmpp_login(server, jid, password))
            return results
        return self.run_async(scenario())

    def test_twenty_logins_without_a_sasl_failure(self):
        server = harness.Server(accounts=[("alice@" + DOMAIN, PASSWORD)])
        try:
            results = self.logins(server, LOGINS)
            for i, (ok, failures, mechanism) in enumerate(results):
                self.assertTrue(ok, "login %d failed" % i)
                self.assertEqual(failures, [], "login %d had SASL failures" % i)
                self.assertTrue(mechanism.startswith("SCRAM-SHA"), mechanism)
            # No -PLUS unless asked for: nothing a client cannot verify.
            raw = RawClient(server.port)
            features = raw.open_stream()
            self.assertNotIn(b"-PLUS", features)
            raw.close()
        finally:
            self.assertEqual(server.stop(), 0)

    def test_channel_binding_mismatch_is_not_a_password_guess(self):
        # With -PLUS on, slixmpp 1.8 picks tls-unique, fails twice and falls
        # back on every login: those failures must not lock its address out
        # (--auth-failures-per-address-max, 20 a minute by default).
        server = harness.Server(accounts=[("alice@" + DOMAIN, PASSWORD)],
                                flags=["--sasl-channel-binding=true"])
        try:
            results = self.logins(server, 15)
            for i, (ok, failures, mechanism) in enumerate(results):
                self.assertTrue(ok, "login %d failed after %r" % (i, failures))
            self.assertTrue(any(failures for _, failures, _ in results),
                            "expected slixmpp to try -PLUS first")
            # XEP-0440 in its own namespace tells clients which type we bind.
            raw = RawClient(server.port)
            raw.open_stream()
            raw.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
            raw.read_until(rb"<proceed")
            context = ssl.create_default_context(cafile=ca_file(server))
            raw.sock = context.wrap_socket(raw.sock, server_hostname=DOMAIN)
            raw.buffer = b""
            features = raw.open_stream()
            self.assertIn(b"<mechanism>SCRAM-SHA-256-PLUS</mechanism>", features)
            self.assertIn(b"<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'>"
                          b"<channel-binding type='tls-exporter'/></sasl-channel-binding>",
                          features)
            raw.close()
        finally:
            self.assertEqual(server.stop(), 0)

    def test_non_ascii_password_is_prepared(self):
        # Set in decomposed form (e + U+0301, a no-break space), typed in
        # composed form: RFC 8265 OpaqueString makes them one password.
        decomposed = "cafe\u0301\u00a0cr\u00e8me"
        composed = unicodedata.normalize("NFC", "cafe\u0301 cr\u00e8me")
        server = harness.Server(accounts=[("bob@" + DOMAIN, decomposed)])
        try:
            [(ok, failures, _)] = self.logins(server, 1, "bob@" + DOMAIN, composed)
            self.assertTrue(ok)
            self.assertEqual(failures, [])
        finally:
            self.assertEqual(server.stop(), 0)


def install_xmppjs():
    """Installs @xmpp/client into a temporary folder; returns it or None."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return None
    folder = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
    result = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error",
         "@xmpp/client@" + XMPPJS_VERSION],
        cwd=folder, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, HOME=folder, npm_config_cache=os.path.join(folder, ".npm")))
    if result.returncode != 0:
        print("npm install failed:\n" + result.stderr, file=sys.stderr)
        return None
    shutil.copy(os.path.join(HERE, "xmppjs_logins.mjs"), folder)
    return folder


class XmppJsTest(unittest.TestCase):
    def test_twenty_scram_logins_without_a_failure(self):
        folder = install_xmppjs()
        if folder is None:
            if os.environ.get("CI") == "true":
                self.fail("xmpp.js could not be installed (node, npm or the npm registry missing)")
            self.skipTest("node/npm or the npm registry unavailable")
        server = harness.Server(accounts=[("alice@" + DOMAIN, PASSWORD)])
        try:
            result = subprocess.run(
                ["node", "xmppjs_logins.mjs", str(server.port), DOMAIN, "alice", PASSWORD,
                 str(LOGINS)],
                cwd=folder, capture_output=True, text=True, timeout=240,
                env=dict(os.environ, NODE_EXTRA_CA_CERTS=ca_file(server)))
            lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
            self.assertEqual(len(lines), LOGINS, result.stdout + result.stderr)
            failed = [line for line in lines if not line["ok"]]
            self.assertEqual(failed, [])
            for line in lines:
                self.assertEqual(line["mechanism"], "SCRAM-SHA-1")
                self.assertTrue(line["jid"].startswith("alice@" + DOMAIN + "/"))
        finally:
            self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    logging.basicConfig(level=logging.CRITICAL)
    unittest.main(argv=[sys.argv[0]])
