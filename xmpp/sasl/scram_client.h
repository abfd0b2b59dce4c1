#pragma once

// The client side of SCRAM-SHA-1/-256 (and -PLUS with tls-exporter), for the
// load generator and for tests. One ScramClient per login attempt, used by
// the thread that drives that connection:
//
//   ClientFirst()                      -> client-first
//   ReceiveServerFirst(server-first)   -> client-final
//   ReceiveServerFinal(server-final)   -> verifies the server's signature
//
// Limits: the server's iteration count must lie in
// [iterations_min, iterations_max], so that a hostile server can neither
// weaken the exchange nor make the client spin.

#include <cstdint>
#include <string>
#include <string_view>

#include "xmpp/sasl/sasl_status.h"
#include "absl/status/statusor.h"
#include "xmpp/sasl/scram.h"
#include "xmpp/sasl/scram_primitives.h"

namespace ringlet::sasl {

struct ScramClientOptions {
  ScramMechanism mechanism;
  std::string username;
  // As the user gave it; the client prepares it (RFC 8265 OpaqueString)
  // before deriving keys, as the server did when the password was set.
  std::string password;
  std::string authzid;  // "" for none
  // tls-exporter data: required for -PLUS; for a non-PLUS mechanism, a
  // non-empty value makes the client send "y" (it could bind, but the
  // server offered no -PLUS).
  std::string channel_binding_data;
  size_t nonce_chars = 24;
  uint32_t iterations_min = 4096;
  uint32_t iterations_max = 1'000'000;
  // Reuse SaltedPassword (the expensive Hi(), RFC 5802 §3) when this thread
  // already derived it for the same password, salt and iteration count. For
  // clients that log in many times with one password (the load generator):
  // it keeps up to kSaltedPasswordCacheEntries per thread, so only a thread
  // that already knows the password can read it back.
  bool cache_salted_password = false;
  // Not owned; must outlive the ScramClient.
  RandomSource* random = &SystemRandom();
};

inline constexpr size_t kSaltedPasswordCacheEntries = 64;

class ScramClient {
 public:
  explicit ScramClient(ScramClientOptions options);

  // Returns the client-first message (the first call makes the nonce).
  std::string ClientFirst();

  // Checks the server-first message and sets `client_final`.
  SaslStatus ReceiveServerFirst(std::string_view server_first,
                                std::string* client_final);

  // Checks the server's signature ("v=") or reports its "e=" error.
  SaslStatus ReceiveServerFinal(std::string_view server_final);

 private:
  std::string SaltedPassword(ScramHash hash, std::string_view salt, uint32_t iterations) const;
  ScramClientOptions options_;
  // options_.password prepared, or why it cannot be.
  absl::StatusOr<std::string> password_;
  std::string gs2_header_;
  std::string client_first_bare_;
  std::string client_nonce_;
  std::string server_signature_;
};

}  // namespace ringlet::sasl
