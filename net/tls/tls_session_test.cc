// TlsSession and TlsContext, client and server talking in memory. One
// thread, no shards.

#include "net/tls/tls_session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <malloc.h>
#include <openssl/ssl.h>

#include <fstream>
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "net/tls/test_util.h"
#include "net/tls/tls_context.h"

namespace ringlet {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using tls_test::MakeCertificate;
using tls_test::Pump;
using tls_test::PumpResult;

class TlsSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tls_test::MakeTempDir();
    ASSERT_FALSE(dir_.empty());
    auto a = MakeCertificate(dir_, {"a.example"});
    auto b = MakeCertificate(dir_, {"b.example"});
    ASSERT_TRUE(a.ok() && b.ok());
    a_ = *a;
    b_ = *b;
    ca_path_ = dir_ + "/ca.pem";
    std::ofstream(ca_path_) << ReadFile(a_.cert_path) << ReadFile(b_.cert_path);
    server_options_.certificates = {{"a.example", a_.cert_path, a_.key_path},
                                    {"b.example", b_.cert_path, b_.key_path}};
    server_options_.alpn_protocols = {"xmpp-client"};
    client_options_.alpn_protocols = {"xmpp-client"};
    client_options_.ca_file = ca_path_;
  }

  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::unique_ptr<TlsContext> Server(const TlsServerOptions& options) {
    auto context = TlsContext::CreateServer(options);
    EXPECT_TRUE(context.ok()) << context.status();
    return context.ok() ? std::move(*context) : nullptr;
  }
  std::unique_ptr<TlsContext> Client(const TlsClientOptions& options) {
    auto context = TlsContext::CreateClient(options);
    EXPECT_TRUE(context.ok()) << context.status();
    return context.ok() ? std::move(*context) : nullptr;
  }

  struct Pair {
    TlsSession client;
    TlsSession server;
  };
  // Makes both sessions and pumps until quiet; the status is the pump's.
  std::unique_ptr<Pair> Connect(const TlsContext& client_context, const TlsContext& server_context,
                                const std::string& name, absl::Status* status,
                                TlsClientSessionCache* cache = nullptr, size_t piece_bytes = 0) {
    auto client = TlsSession::Client(client_context, name, cache);
    auto server = TlsSession::Server(server_context);
    EXPECT_TRUE(client.ok()) << client.status();
    EXPECT_TRUE(server.ok()) << server.status();
    auto pair = std::make_unique<Pair>(Pair{std::move(*client), std::move(*server)});
    PumpResult ignored;
    *status = Pump(pair->client, pair->server, &ignored, piece_bytes);
    return pair;
  }
  std::unique_ptr<Pair> ConnectOk(const TlsContext& client_context,
                                  const TlsContext& server_context, const std::string& name,
                                  TlsClientSessionCache* cache = nullptr, size_t piece_bytes = 0) {
    absl::Status status;
    auto pair = Connect(client_context, server_context, name, &status, cache, piece_bytes);
    EXPECT_TRUE(status.ok()) << status;
    EXPECT_TRUE(pair->client.handshake_done());
    EXPECT_TRUE(pair->server.handshake_done());
    return pair;
  }

  std::string dir_;
  tls_test::CertificateFilesForTest a_, b_;
  std::string ca_path_;
  TlsServerOptions server_options_;
  TlsClientOptions client_options_;
};

TEST_F(TlsSessionTest, HandshakeThenDataBothWays) {
  auto server_context = Server(server_options_);
  auto client_context = Client(client_options_);
  auto pair = ConnectOk(*client_context, *server_context, "a.example");
  TlsSession& client = pair->client;
  TlsSession& server = pair->server;
  EXPECT_TRUE(client.peer_certificate_verified());
  EXPECT_FALSE(server.peer_certificate_verified());
  EXPECT_EQ(client.version(), TLS1_3_VERSION);
  EXPECT_EQ(server.VersionName(), "TLSv1.3");
  EXPECT_FALSE(client.CipherName().empty());
  EXPECT_EQ(server.ServerName(), "a.example");
  EXPECT_EQ(client.ServerName(), "a.example");
  EXPECT_EQ(server.Alpn(), "xmpp-client");
  EXPECT_EQ(client.Alpn(), "xmpp-client");
  EXPECT_TRUE(server.is_server());
  EXPECT_FALSE(client.is_server());

  ASSERT_TRUE(client.Write("<stream:stream to='a.example'>").ok());
  ASSERT_TRUE(server.Write("<stream:stream from='a.example'>").ok());
  PumpResult result;
  ASSERT_TRUE(Pump(client, server, &result).ok());
  EXPECT_EQ(result.server_plaintext, "<stream:stream to='a.example'>");
  EXPECT_EQ(result.client_plaintext, "<stream:stream from='a.example'>");
}

TEST_F(TlsSessionTest, EveryPieceSplitIntoSingleBytes) {
  auto server_context = Server(server_options_);
  auto client_context = Client(client_options_);
  auto pair = ConnectOk(*client_context, *server_context, "a.example", nullptr, 1);
  std::string big(40000, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(pair->client.Write(big).ok());
  ASSERT_TRUE(pair->server.Write("pong").ok());
  PumpResult result;
  ASSERT_TRUE(Pump(pair->client, pair->server, &result, 1).ok());
  EXPECT_EQ(result.server_plaintext, big);
  EXPECT_EQ(result.client_plaintext, "pong");
}

TEST_F(TlsSessionTest, WriteBeforeHandshakeIsRefused) {
  auto client_context = Client(client_options_);
  auto client = TlsSession::Client(*client_context, "a.example");
  ASSERT_TRUE(client.ok());
  EXPECT_TRUE(client->HasCiphertext());  // The ClientHello.
  EXPECT_EQ(client->Write("early").code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(TlsSessionTest, SniPicksTheCertificateOfTheDomain) {
  auto server_context = Server(server_options_);
  auto client_context = Client(client_options_);
  auto to_b = ConnectOk(*client_context, *server_context, "B.example");
  auto names = to_b->client.PeerCertificateNames();
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_THAT(names->dns_names, Contains("b.example"));
  EXPECT_THAT(names->xmpp_addrs, Contains("b.example"));
  EXPECT_EQ(to_b->server.ServerName(), "B.example");

  // An unknown name gets the default (first) certificate; a verifying
  // client then refuses it, with the reason.
  TlsClientOptions insecure = client_options_;
  insecure.ca_file.clear();
  insecure.insecure_accept_any_certificate = true;
  auto insecure_context = Client(insecure);
  auto to_other = ConnectOk(*insecure_context, *server_context, "other.example");
  EXPECT_THAT(to_other->client.PeerCertificateNames()->dns_names, Contains("a.example"));
  EXPECT_FALSE(to_other->client.peer_certificate_verified());

  absl::Status status;
  auto refused = Connect(*client_context, *server_context, "other.example", &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("client: TLS handshake failed: CERTIFICATE_VERIFY_FAILED"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("Hostname mismatch"));
  EXPECT_TRUE(refused->client.failed());
}

TEST_F(TlsSessionTest, AlpnIsNegotiatedOrLeftOut) {
  auto server_context = Server(server_options_);
  TlsClientOptions options = client_options_;
  options.alpn_protocols = {"h2", "xmpp-client"};
  auto pair = ConnectOk(*Client(options), *server_context, "a.example");
  EXPECT_EQ(pair->server.Alpn(), "xmpp-client");

  options.alpn_protocols = {};
  pair = ConnectOk(*Client(options), *server_context, "a.example");
  EXPECT_EQ(pair->server.Alpn(), "");

  // None of ours: accepted without ALPN (see tls_context.h).
  options.alpn_protocols = {"h2", "http/1.1"};
  pair = ConnectOk(*Client(options), *server_context, "a.example");
  EXPECT_EQ(pair->server.Alpn(), "");
  EXPECT_EQ(pair->client.Alpn(), "");
}

TEST_F(TlsSessionTest, SecondConnectionResumes) {
  auto server_context = Server(server_options_);
  for (TlsVersion max : {TlsVersion::k1_3, TlsVersion::k1_2}) {
    SCOPED_TRACE(static_cast<int>(max));
    TlsClientOptions options = client_options_;
    options.max_version = max;
    auto client_context = Client(options);
    TlsClientSessionCache cache;
    auto first = ConnectOk(*client_context, *server_context, "a.example", &cache);
    EXPECT_FALSE(first->client.session_reused());
    EXPECT_EQ(cache.size(), 1u);
    auto second = ConnectOk(*client_context, *server_context, "a.example", &cache);
    EXPECT_TRUE(second->client.session_reused());
    EXPECT_TRUE(second->server.session_reused());
    EXPECT_TRUE(second->client.peer_certificate_verified());
    EXPECT_EQ(second->server.Alpn(), "xmpp-client");
    // Another name does not reuse it.
    auto other = ConnectOk(*client_context, *server_context, "b.example", &cache);
    EXPECT_FALSE(other->client.session_reused());
    EXPECT_EQ(cache.size(), 2u);
  }
}

TEST_F(TlsSessionTest, ChannelBindingMatchesAcrossSidesAndDiffersPerConnection) {
  auto server_context = Server(server_options_);
  auto client_context = Client(client_options_);
  auto first = ConnectOk(*client_context, *server_context, "a.example");
  auto second = ConnectOk(*client_context, *server_context, "a.example");
  auto client_binding = first->client.ExportChannelBinding();
  auto server_binding = first->server.ExportChannelBinding();
  ASSERT_TRUE(client_binding.ok()) << client_binding.status();
  ASSERT_TRUE(server_binding.ok());
  EXPECT_EQ(client_binding->size(), TlsSession::kChannelBindingBytes);
  EXPECT_EQ(*client_binding, *server_binding);
  EXPECT_NE(*client_binding, *second->client.ExportChannelBinding());

  TlsClientOptions tls12 = client_options_;
  tls12.max_version = TlsVersion::k1_2;
  auto old = ConnectOk(*Client(tls12), *server_context, "a.example");
  EXPECT_EQ(old->server.version(), TLS1_2_VERSION);
  auto refused = old->server.ExportChannelBinding();
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("needs TLS 1.3"));

  auto client = TlsSession::Client(*client_context, "a.example");
  EXPECT_EQ(client->ExportChannelBinding().status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(TlsSessionTest, CorruptedRecordIsAnErrorWithAnAlert) {
  auto server_context = Server(server_options_);
  auto client_context = Client(client_options_);
  auto pair = ConnectOk(*client_context, *server_context, "a.example");
  ASSERT_TRUE(pair->client.Write("<message>hello</message>").ok());
  std::string record = pair->client.TakeCiphertext();
  record[record.size() / 2] ^= 0x20;
  std::string plaintext;
  absl::Status status = pair->server.Feed(record, &plaintext);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("TLS record error: "));
  EXPECT_TRUE(plaintext.empty());
  EXPECT_TRUE(pair->server.HasCiphertext());  // bad_record_mac alert
  EXPECT_TRUE(pair->server.failed());
  EXPECT_EQ(pair->server.Feed("more", &plaintext).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(pair->server.Write("x").code(), absl::StatusCode::kFailedPrecondition);

  // The client learns why from the alert.
  status = pair->client.Feed(pair->server.TakeCiphertext(), &plaintext);
  EXPECT_THAT(std::string(status.message()), HasSubstr("BAD_RECORD_MAC"));
}

TEST_F(TlsSessionTest, PlaintextXmlInsteadOfAClientHelloIsAnError) {
  auto server_context = Server(server_options_);
  auto server = TlsSession::Server(*server_context);
  ASSERT_TRUE(server.ok());
  std::string plaintext;
  absl::Status status = server->Feed("<?xml version='1.0'?><stream:stream>", &plaintext);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("TLS handshake failed: "));
  EXPECT_FALSE(server->handshake_done());
}

TEST_F(TlsSessionTest, CloseNotifyIsDetected) {
  auto server_context = Server(server_options_);
  auto client_context = Client(client_options_);
  auto pair = ConnectOk(*client_context, *server_context, "a.example");
  ASSERT_TRUE(pair->client.Write("</stream:stream>").ok());
  ASSERT_TRUE(pair->client.Shutdown().ok());
  ASSERT_TRUE(pair->client.Shutdown().ok());  // Idempotent.
  EXPECT_EQ(pair->client.Write("late").code(), absl::StatusCode::kFailedPrecondition);
  std::string plaintext;
  ASSERT_TRUE(pair->server.Feed(pair->client.TakeCiphertext(), &plaintext).ok());
  EXPECT_EQ(plaintext, "</stream:stream>");
  EXPECT_TRUE(pair->server.peer_closed());
  EXPECT_FALSE(pair->client.peer_closed());
  // The other direction is still open until the server closes it too.
  ASSERT_TRUE(pair->server.Write("</stream:stream>").ok());
  ASSERT_TRUE(pair->server.Shutdown().ok());
  plaintext.clear();
  ASSERT_TRUE(pair->client.Feed(pair->server.TakeCiphertext(), &plaintext).ok());
  EXPECT_EQ(plaintext, "</stream:stream>");
  EXPECT_TRUE(pair->client.peer_closed());
}

// A raw BoringSSL client limited to TLS 1.1, over memory BIOs.
TEST_F(TlsSessionTest, Tls11ClientIsRefused) {
  auto server_context = Server(server_options_);
  bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_method()));
  ASSERT_TRUE(SSL_CTX_set_min_proto_version(ctx.get(), TLS1_1_VERSION));
  ASSERT_TRUE(SSL_CTX_set_max_proto_version(ctx.get(), TLS1_1_VERSION));
  bssl::UniquePtr<SSL> ssl(SSL_new(ctx.get()));
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl.get(), in, out);
  SSL_set_connect_state(ssl.get());
  ASSERT_EQ(SSL_do_handshake(ssl.get()), -1);
  const uint8_t* hello = nullptr;
  size_t hello_bytes = 0;
  ASSERT_TRUE(BIO_mem_contents(out, &hello, &hello_bytes));
  ASSERT_GT(hello_bytes, 0u);

  auto server = TlsSession::Server(*server_context);
  std::string plaintext;
  absl::Status status =
      server->Feed(std::string_view(reinterpret_cast<const char*>(hello), hello_bytes), &plaintext);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("UNSUPPORTED_PROTOCOL"));
  EXPECT_TRUE(server->HasCiphertext());  // protocol_version alert
}

TEST_F(TlsSessionTest, MinimumVersionIsEnforced) {
  TlsServerOptions options = server_options_;
  options.min_version = TlsVersion::k1_3;
  auto server_context = Server(options);
  TlsClientOptions tls12 = client_options_;
  tls12.max_version = TlsVersion::k1_2;
  absl::Status status;
  Connect(*Client(tls12), *server_context, "a.example", &status);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("server: TLS handshake failed: UNSUPPORTED_PROTOCOL"));
}

TEST_F(TlsSessionTest, ClientCertificateForS2s) {
  auto peer = MakeCertificate(dir_, {"remote.example"});
  ASSERT_TRUE(peer.ok());
  TlsServerOptions options = server_options_;
  options.request_client_certificate = true;
  TlsClientOptions client_options = client_options_;
  client_options.client_certificate = TlsCertificateFiles{"", peer->cert_path, peer->key_path};
  auto client_context = Client(client_options);

  // Trusted: verified, and its names are known.
  options.client_ca_file = peer->cert_path;
  auto pair = ConnectOk(*client_context, *Server(options), "a.example");
  EXPECT_TRUE(pair->server.peer_certificate_verified());
  EXPECT_EQ(pair->server.PeerCertificateChainDer().size(), 1u);
  auto names = pair->server.PeerCertificateNames();
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_THAT(names->xmpp_addrs, Contains("remote.example"));
  EXPECT_THAT(names->srv_names, Contains("_xmpp-server.remote.example"));

  // Not trusted: the handshake still succeeds, unverified.
  options.client_ca_file.clear();
  pair = ConnectOk(*client_context, *Server(options), "a.example");
  EXPECT_FALSE(pair->server.peer_certificate_verified());
  EXPECT_TRUE(pair->server.PeerCertificateNames().ok());

  // No client certificate at all.
  pair = ConnectOk(*Client(client_options_), *Server(options), "a.example");
  EXPECT_FALSE(pair->server.peer_certificate_verified());
  EXPECT_EQ(pair->server.PeerCertificateNames().status().code(), absl::StatusCode::kNotFound);
}

TEST_F(TlsSessionTest, SessionsMoveMidHandshake) {
  auto server_context = Server(server_options_);
  auto client_context = Client(client_options_);
  auto client = TlsSession::Client(*client_context, "a.example");
  auto server = TlsSession::Server(*server_context);
  std::string plaintext;
  ASSERT_TRUE(server->Feed(client->TakeCiphertext(), &plaintext).ok());
  // Moved "to another shard" between flights.
  std::vector<TlsSession> moved;
  moved.push_back(std::move(*server));
  moved.push_back(std::move(*client));
  TlsSession other = std::move(moved[0]);
  moved[0] = std::move(moved[1]);
  PumpResult result;
  ASSERT_TRUE(Pump(moved[0], other, &result).ok());
  EXPECT_TRUE(other.handshake_done());
  ASSERT_TRUE(moved[0].Write("after the move").ok());
  ASSERT_TRUE(Pump(moved[0], other, &result).ok());
  EXPECT_EQ(result.server_plaintext, "after the move");
}

TEST_F(TlsSessionTest, BadFilesGiveClearErrors) {
  TlsServerOptions options = server_options_;
  options.certificates = {{"a.example", dir_ + "/missing.crt", a_.key_path}};
  auto context = TlsContext::CreateServer(options);
  EXPECT_EQ(context.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(context.status().message()),
              HasSubstr("domain a.example certificate chain: cannot read " + dir_ +
                        "/missing.crt: No such file or directory"));

  std::string garbled = dir_ + "/garbled.crt";
  std::ofstream(garbled) << "-----BEGIN CERTIFICATE-----\nnot base64\n";
  options.certificates = {{"a.example", garbled, a_.key_path}};
  context = TlsContext::CreateServer(options);
  EXPECT_THAT(std::string(context.status().message()),
              HasSubstr("no PEM certificate chain in " + garbled));

  options.certificates = {{"a.example", a_.cert_path, b_.key_path}};
  context = TlsContext::CreateServer(options);
  EXPECT_THAT(std::string(context.status().message()), HasSubstr("does not match the certificate"));

  options.certificates = {{"a.example", a_.cert_path, a_.cert_path}};
  context = TlsContext::CreateServer(options);
  EXPECT_THAT(std::string(context.status().message()),
              HasSubstr("no PEM private key in " + a_.cert_path));

  options.certificates = {};
  EXPECT_FALSE(TlsContext::CreateServer(options).ok());

  TlsClientOptions client = client_options_;
  client.insecure_accept_any_certificate = true;  // And a CA file: ambiguous.
  EXPECT_THAT(std::string(TlsContext::CreateClient(client).status().message()),
              HasSubstr("exactly one"));
  client = client_options_;
  client.ca_file = dir_ + "/nope.pem";
  EXPECT_THAT(std::string(TlsContext::CreateClient(client).status().message()),
              HasSubstr("CA file: cannot read"));
}

// Heap bytes held by idle sessions after the handshake (glibc's in-use
// count), printed for tls_session.h's class comment. Not a speed test; the
// bound is loose so that only a regression (e.g. buffers kept) trips it.
TEST_F(TlsSessionTest, IdleSessionMemory) {
  auto server_context = Server(server_options_);
  auto client_context = Client(client_options_);
  ConnectOk(*client_context, *server_context, "a.example");  // Warm up lazy globals.
  constexpr int kSessions = 200;
  for (bool measure_server : {true, false}) {
    std::vector<std::unique_ptr<Pair>> pairs;
    pairs.reserve(kSessions);
    std::vector<TlsSession> kept;
    kept.reserve(kSessions);
    size_t before = mallinfo2().uordblks;
    for (int i = 0; i < kSessions; ++i) {
      pairs.push_back(ConnectOk(*client_context, *server_context, "a.example"));
      kept.push_back(measure_server ? std::move(pairs.back()->server)
                                    : std::move(pairs.back()->client));
      pairs.back().reset();
    }
    size_t after = mallinfo2().uordblks;
    size_t per_session = (after - before) / kSessions;
    std::cout << (measure_server ? "server" : "client") << " idle TLS 1.3 session: " << per_session
              << " heap bytes\n";
    RecordProperty(measure_server ? "server_idle_bytes" : "client_idle_bytes",
                   static_cast<int>(per_session));
    EXPECT_LT(per_session, 16384u);
  }
}

}  // namespace
}  // namespace ringlet
