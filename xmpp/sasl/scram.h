#pragma once

// The server side of SCRAM-SHA-1 and SCRAM-SHA-256 and their -PLUS variants
// (RFC 5802, RFC 7677; channel binding type tls-exporter, RFC 9266).
//
// ScramServer is a state machine over byte strings (the decoded SASL
// payloads). One lives per authenticating connection, on the shard that
// accepted it, and is dropped when authentication ends:
//
//   ReceiveClientFirst(client-first)      -> username(), authzid() known
//   (the caller reads the user's ScramCredentials from storage)
//   MakeServerFirst(&credentials or null) -> server-first
//   ReceiveClientFinal(client-final)      -> server-final ("v=...") on success
//
// Every failure is a SaslStatus: the <failure/> condition plus the RFC 5802
// "e=" value where one exists. After a failure the exchange is over. Limits:
// each client message is at most kScramMessageBytesMax bytes.

#include <cstddef>
#include <string>
#include <string_view>

#include "xmpp/sasl/sasl_status.h"
#include "xmpp/sasl/scram_primitives.h"

namespace ringlet::sasl {

inline constexpr size_t kScramMessageBytesMax = 4096;
inline constexpr std::string_view kChannelBindingTlsExporter = "tls-exporter";

// A SCRAM mechanism: hash and whether it is the -PLUS (channel binding) one.
struct ScramMechanism {
  ScramHash hash = ScramHash::kSha256;
  bool plus = false;
};

// Parses "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256",
// "SCRAM-SHA-256-PLUS"; false for anything else.
bool ParseScramMechanism(std::string_view name, ScramMechanism* mechanism);
// Returns the mechanism's name as above.
std::string ScramMechanismName(ScramMechanism mechanism);

struct ScramServerOptions {
  ScramMechanism mechanism;
  // True when this connection advertised -PLUS mechanisms (i.e. it is TLS
  // and the exporter is available). A client that says "y" then is under a
  // downgrade attack and is refused.
  bool plus_offered = false;
  // The tls-exporter channel binding data (RFC 9266) of this connection;
  // required when mechanism.plus.
  std::string channel_binding_data;
  // Length of the server's part of the nonce.
  size_t nonce_chars = 24;
  // Used for unknown users (see MakeServerFirst); a secret chosen once per
  // process so that a decoy salt is stable but unpredictable.
  std::string decoy_key;
  uint32_t decoy_iterations = 4096;
  // Not owned; must outlive the ScramServer.
  RandomSource* random = &SystemRandom();
};

class ScramServer {
 public:
  enum class State {
    kAwaitClientFirst,
    kAwaitCredentials,
    kAwaitClientFinal,
    kSucceeded,
    kFailed,
  };

  explicit ScramServer(ScramServerOptions options);

  // Parses the client-first message (GS2 header + client-first-message-bare).
  // On success username() and authzid() are set.
  SaslStatus ReceiveClientFirst(std::string_view message);

  // Builds the server-first message from the user's stored credentials.
  // Pass null for an unknown user: the exchange then continues with a decoy
  // salt derived from decoy_key and fails at the proof with not-authorized,
  // so that a client cannot tell unknown users from wrong passwords.
  SaslStatus MakeServerFirst(const ScramCredentials* credentials,
                             std::string* server_first);

  // Checks the client-final message (channel binding, nonce, proof) and on
  // success sets `server_final` to "v=<ServerSignature>".
  SaslStatus ReceiveClientFinal(std::string_view message,
                                std::string* server_final);

  State state() const { return state_; }
  // The decoded username; valid after ReceiveClientFirst succeeded.
  const std::string& username() const { return username_; }
  // The decoded authorization identity, or "" if none was given. The caller
  // checks it (invalid-authzid if it is not the user's own JID).
  const std::string& authzid() const { return authzid_; }

 private:
  SaslStatus Fail(SaslCondition condition, ScramServerError error,
                  const char* detail);
  SaslStatus CheckChannelBindingFlag(std::string_view flag);

  ScramServerOptions options_;
  State state_ = State::kAwaitClientFirst;
  std::string username_;
  std::string authzid_;
  std::string gs2_header_;
  std::string client_first_bare_;
  std::string nonce_;  // client nonce + server nonce
  std::string server_first_;
  ScramCredentials credentials_;
  bool decoy_ = false;
};

}  // namespace ringlet::sasl
