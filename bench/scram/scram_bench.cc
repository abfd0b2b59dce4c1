// SCRAM costs. BM_ScramServerExchange is the server's whole side of one
// login (client-first -> server-first -> client-final verified -> server-
// final) against stored keys: no PBKDF2 runs on the server, so the iteration
// count should not matter. BM_ScramSaltedPassword is the Hi() a client (and
// a SASL PLAIN check, and account creation) pays, which grows with it.
//
// Args: hash (1 = SHA-1, 2 = SHA-256), iteration count.

#include <cstring>
#include <string>

#include "benchmark/benchmark.h"
#include "xmpp/sasl/scram.h"
#include "xmpp/sasl/scram_client.h"
#include "xmpp/sasl/scram_primitives.h"

namespace ringlet::sasl {
namespace {

// The same bytes every time, so that one precomputed client-final matches
// every exchange's server nonce.
class FixedRandom final : public RandomSource {
 public:
  void Fill(uint8_t* out, size_t size) override { std::memset(out, 7, size); }
};

void BM_ScramServerExchange(benchmark::State& state) {
  const ScramHash hash = static_cast<ScramHash>(state.range(0));
  const uint32_t iterations = static_cast<uint32_t>(state.range(1));
  FixedRandom random;
  const ScramCredentials credentials =
      NewScramCredentials(hash, "pencil", iterations, random);

  // One real exchange to get valid client messages for the fixed nonce.
  ScramClientOptions client_options;
  client_options.mechanism.hash = hash;
  client_options.username = "user";
  client_options.password = "pencil";
  client_options.random = &random;
  ScramClient client(client_options);
  const std::string client_first = client.ClientFirst();
  ScramServerOptions server_options;
  server_options.mechanism.hash = hash;
  server_options.random = &random;
  std::string server_first, client_final, server_final;
  {
    ScramServer server(server_options);
    if (!server.ReceiveClientFirst(client_first).ok() ||
        !server.MakeServerFirst(&credentials, &server_first).ok() ||
        !client.ReceiveServerFirst(server_first, &client_final).ok()) {
      state.SkipWithError("setup exchange failed");
      return;
    }
  }

  for (auto _ : state) {
    ScramServer server(server_options);
    bool ok = server.ReceiveClientFirst(client_first).ok();
    ok = ok && server.MakeServerFirst(&credentials, &server_first).ok();
    ok = ok && server.ReceiveClientFinal(client_final, &server_final).ok();
    if (!ok) {
      state.SkipWithError("exchange failed");
      return;
    }
    benchmark::DoNotOptimize(server_final);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_ScramSaltedPassword(benchmark::State& state) {
  const ScramHash hash = static_cast<ScramHash>(state.range(0));
  const uint32_t iterations = static_cast<uint32_t>(state.range(1));
  const std::string salt(16, 's');
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        ScramSaltedPassword(hash, "pencil", salt, iterations));
  }
  state.SetItemsProcessed(state.iterations());
}

void Args(benchmark::internal::Benchmark* benchmark) {
  benchmark->ArgNames({"hash", "iterations"});
  for (int hash : {1, 2}) {
    for (int iterations : {4096, 10000}) benchmark->Args({hash, iterations});
  }
}

BENCHMARK(BM_ScramServerExchange)->Apply(Args);
BENCHMARK(BM_ScramSaltedPassword)->Apply(Args)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace ringlet::sasl
