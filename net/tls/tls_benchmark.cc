// Handshakes per second, full and resumed (TLS 1.3, P-256 certificate), one
// client and one server session in memory on one thread: both sides' CPU.

#include <benchmark/benchmark.h>

#include <algorithm>

#include "core/check.h"
#include "net/tls/test_util.h"
#include "net/tls/tls_context.h"
#include "net/tls/tls_session.h"

namespace ringlet {
namespace {

struct Contexts {
  std::unique_ptr<TlsContext> server;
  std::unique_ptr<TlsContext> client;
};

const Contexts& GetContexts() {
  static const Contexts* contexts = [] {
    std::string dir = tls_test::MakeTempDir();
    auto files = tls_test::MakeCertificate(dir, {"bench.example"});
    CHECK(files.ok());
    TlsServerOptions server;
    server.certificates = {{"bench.example", files->cert_path, files->key_path}};
    server.alpn_protocols = {"xmpp-client"};
    TlsClientOptions client;
    client.alpn_protocols = {"xmpp-client"};
    client.insecure_accept_any_certificate = true;
    auto* result = new Contexts{std::move(*TlsContext::CreateServer(server)),
                                std::move(*TlsContext::CreateClient(client))};
    return result;
  }();
  return *contexts;
}

void Handshake(benchmark::State& state, TlsClientSessionCache* cache) {
  const Contexts& contexts = GetContexts();
  tls_test::PumpResult result;
  int64_t reused = 0;
  for (auto _ : state) {
    auto client = TlsSession::Client(*contexts.client, "bench.example", cache);
    auto server = TlsSession::Server(*contexts.server);
    CHECK_OK(tls_test::Pump(*client, *server, &result));
    CHECK(server->handshake_done());
    reused += server->session_reused() ? 1 : 0;
  }
  // CPU-time rate of both sides together.
  state.counters["handshakes_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["reused_fraction"] =
      static_cast<double>(reused) / static_cast<double>(std::max<int64_t>(1, state.iterations()));
}

void BM_FullHandshake(benchmark::State& state) { Handshake(state, nullptr); }
BENCHMARK(BM_FullHandshake);

void BM_ResumedHandshake(benchmark::State& state) {
  TlsClientSessionCache cache;
  Handshake(state, &cache);
}
BENCHMARK(BM_ResumedHandshake);

void BM_RecordRoundTrip(benchmark::State& state) {
  const Contexts& contexts = GetContexts();
  auto client = TlsSession::Client(*contexts.client, "bench.example");
  auto server = TlsSession::Server(*contexts.server);
  tls_test::PumpResult result;
  CHECK_OK(tls_test::Pump(*client, *server, &result));
  std::string message(state.range(0), 'm');
  std::string plaintext;
  for (auto _ : state) {
    CHECK_OK(client->Write(message));
    plaintext.clear();
    CHECK_OK(server->Feed(client->TakeCiphertext(), &plaintext));
    CHECK(plaintext.size() == message.size());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_RecordRoundTrip)->Arg(200)->Arg(16384);

}  // namespace
}  // namespace ringlet
