#!/usr/bin/python3
"""End-to-end: start the real ringletd on loopback, talk to it, stop it.

Checks that ringletd starts its shards and listeners, answers a client,
refuses bad flags with a clear message, and exits 0 within a bounded time
on SIGTERM and on SIGINT, closing the connections it holds.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

RINGLETD = os.path.join(os.environ.get("TEST_SRCDIR", "."), "ringlet", "xmpp", "server", "ringletd")
if not os.path.exists(RINGLETD):
    RINGLETD = sys.argv[1] if len(sys.argv) > 1 else "bazel-bin/xmpp/server/ringletd"


def start(*flags):
    data_dir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
    process = subprocess.Popen([RINGLETD, "--c2s-listen=127.0.0.1:0", "--c2s-tls-listen=",
                                "--admin-socket=" + tempfile.mkdtemp(prefix="ringlet-") + "/a.sock",
                                "--data-dir=" + data_dir,
                                "--domain=example.org", *flags],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 10
    output = []
    while time.time() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
        match = re.search(r"c2s on 127\.0\.0\.1:(\d+)", line)
        if match:
            return process, int(match.group(1))
    process.kill()
    raise AssertionError("ringletd did not start:\n" + "".join(output))


def read_all(client, timeout=5):
    client.settimeout(timeout)
    reply = b""
    while True:
        chunk = client.recv(4096)
        if not chunk:
            return reply
        reply += chunk


def stop(process, sig=signal.SIGTERM, timeout=10):
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError("ringletd did not exit within %ss" % timeout)
    return process.returncode


class RingletdLifecycleTest(unittest.TestCase):
    def test_starts_answers_and_stops_on_sigterm(self):
        process, port = start("--shards=2")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
                client.sendall(b"<?xml version='1.0'?><stream:stream to='example.org' "
                               b"xmlns='jabber:client' "
                               b"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")
                reply = b""
                while b"</stream:features>" not in reply and b"<stream:features/>" not in reply:
                    chunk = client.recv(4096)
                    self.assertTrue(chunk, "closed before stream features")
                    reply += chunk
                self.assertIn(b"<stream:features", reply)
                # The closing handshake: the server closes its stream too.
                client.sendall(b"</stream:stream>")
                self.assertTrue(read_all(client).endswith(b"</stream:stream>"))
        finally:
            start_time = time.time()
            self.assertEqual(stop(process), 0)
            self.assertLess(time.time() - start_time, 6)

    def test_sigint_closes_open_connections(self):
        process, port = start("--shards=1", "--shutdown-timeout-ms=2000")
        clients = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(20)]
        time.sleep(0.2)
        self.assertEqual(stop(process, signal.SIGINT), 0)
        for client in clients:
            # Each open stream is told why it ends (RFC 6120 system-shutdown).
            reply = read_all(client)
            self.assertIn(b"system-shutdown", reply)
            client.close()

    def test_starts_with_no_data_dir_on_embedded_defaults(self):
        # As the README's first command does: the data dir defaults to
        # ./ringlet-data beside where ringletd starts.
        workdir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        process = subprocess.Popen(
            [RINGLETD, "--c2s-listen=127.0.0.1:0", "--c2s-tls-listen=127.0.0.1:0",
             "--admin-socket=" + tempfile.mkdtemp(prefix="ringlet-") + "/a.sock"],
            cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.time() + 15
            started = False
            while time.time() < deadline and not started:
                line = process.stdout.readline()
                if not line:
                    break
                started = "ringletd running" in line
            self.assertTrue(started)
            self.assertTrue(os.path.isdir(os.path.join(workdir, "ringlet-data")))
            self.assertTrue(os.path.exists(os.path.join(workdir, "ringlet-data", "tls",
                                                        "self-signed.crt")))
        finally:
            self.assertEqual(stop(process), 0)

    def test_bad_flag_value_stops_startup_with_a_message(self):
        result = subprocess.run([RINGLETD, "--mailbox_depth=1000"], capture_output=True,
                                text=True, timeout=10)
        self.assertEqual(result.returncode, 2)
        self.assertIn("--mailbox_depth=1000", result.stderr)

    def test_unknown_flag_is_refused(self):
        result = subprocess.run([RINGLETD, "--no_such_flag=1"], capture_output=True, text=True,
                                timeout=10)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("no_such_flag", result.stderr)

    def test_bad_listen_address_is_refused(self):
        result = subprocess.run([RINGLETD, "--c2s-listen=localhost:5222", "--data-dir=/nonexistent"], capture_output=True,
                                text=True, timeout=10)
        self.assertEqual(result.returncode, 2)
        self.assertIn("c2s_listen", result.stderr)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]])
