#pragma once

// TlsContext: the configuration shared by every TLS session of one role —
// certificates and keys, ALPN protocols, protocol versions, verification,
// session resumption — over one or more BoringSSL SSL_CTX objects.
//
// Lifecycle: created once at start-up (CreateServer / CreateClient), before
// the shards start; destroyed after every TlsSession made from it.
// Threads: after creation it is read-only and shared by all shards; making
// sessions from it (TlsSession::Server / Client) is safe from any thread at
// the same time (SSL_CTX is reference-counted and locked internally for this
// use). Nothing else about it changes after creation.
//
// Server contexts:
//   - one certificate chain + key per domain; SNI picks the certificate whose
//     domain equals the requested server name (ASCII case-insensitive,
//     exact); anything else (no SNI, unknown name) gets the first domain's;
//   - ALPN: the first of `alpn_protocols` (our order) that the client also
//     offers is selected. A client that sends no ALPN is accepted. A client
//     whose ALPN list contains none of ours is also accepted, without ALPN
//     (we do not send no_application_protocol): XMPP peers that advertise,
//     say, only "h2" by mistake still work, and the stream negotiation decides;
//   - session resumption by session tickets only (no server-side session
//     cache, so resumption costs no memory per client); the ticket keys are
//     random per process, generated and rotated by BoringSSL;
//   - optionally asks the client for a certificate (s2s SASL EXTERNAL); the
//     handshake never fails because of it — TlsSession reports whether the
//     chain verified against `client_ca_file`.
// Client contexts: SNI and ALPN per session, verification against a CA file
// (and the server name) or, flagged insecure, none; resumption through a
// TlsClientSessionCache the caller owns.

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ringlet {

enum class TlsVersion : uint16_t {
  k1_2 = TLS1_2_VERSION,
  k1_3 = TLS1_3_VERSION,
};

// Parses "1.2" or "1.3".
absl::StatusOr<TlsVersion> ParseTlsVersion(std::string_view text);

// A certificate chain (leaf first) and its private key, both PEM files.
struct TlsCertificateFiles {
  std::string domain;  // Server: the SNI name it answers; client: unused.
  std::string chain_path;
  std::string key_path;
};

struct TlsServerOptions {
  // At least one; the first is the default for clients without a known SNI.
  std::vector<TlsCertificateFiles> certificates;
  // In order of preference, e.g. {"xmpp-client"}. Empty: ALPN is ignored.
  std::vector<std::string> alpn_protocols;
  TlsVersion min_version = TlsVersion::k1_2;
  // Ask the client for a certificate (s2s). Never required.
  bool request_client_certificate = false;
  // PEM trust anchors for client certificates; empty: none is trusted
  // (TlsSession::peer_certificate_verified() is then always false).
  std::string client_ca_file;
};

struct TlsClientOptions {
  // In order of preference; empty: no ALPN extension.
  std::vector<std::string> alpn_protocols;
  TlsVersion min_version = TlsVersion::k1_2;
  TlsVersion max_version = TlsVersion::k1_3;
  // PEM trust anchors; the server's chain and name (the session's
  // server_name) must verify or the handshake fails.
  std::string ca_file;
  // Accept any server certificate (loopback tests, the load generator).
  // INSECURE: exactly one of ca_file and this must be set.
  bool insecure_accept_any_certificate = false;
  // Sent when the server asks (s2s SASL EXTERNAL). `domain` is unused.
  std::optional<TlsCertificateFiles> client_certificate;
};

class TlsContext {
 public:
  // Loads and checks every file; a missing, unreadable or garbled file, or a
  // key that does not match its certificate, is an InvalidArgument naming
  // the domain, the path and the reason.
  static absl::StatusOr<std::unique_ptr<TlsContext>> CreateServer(const TlsServerOptions& options);
  static absl::StatusOr<std::unique_ptr<TlsContext>> CreateClient(const TlsClientOptions& options);

  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  ~TlsContext();

  bool is_server() const { return is_server_; }
  // Server: the configured domains, default first.
  const std::vector<std::string>& domains() const { return domains_; }

 private:
  friend class TlsSession;
  friend struct TlsContextCallbacks;

  explicit TlsContext(bool is_server) : is_server_(is_server) {}
  absl::Status ConfigureCommon(SSL_CTX* ctx, TlsVersion min_version, TlsVersion max_version);
  // The context sessions start from; server: the first domain's.
  SSL_CTX* default_ctx() const { return contexts_.front().get(); }
  // Server SNI: the context for `server_name`, or null to keep the default.
  SSL_CTX* ContextForServerName(std::string_view server_name) const;
  // Server ALPN: picks from the client's wire-format list (RFC 7301 §3.1).
  bool SelectAlpn(const uint8_t* client_list, size_t client_list_bytes, const uint8_t** selected,
                  uint8_t* selected_bytes) const;

  const bool is_server_;
  std::vector<std::string> domains_;  // Parallel to contexts_.
  std::vector<bssl::UniquePtr<SSL_CTX>> contexts_;
  std::vector<std::string> alpn_protocols_;
  bool verify_server_name_ = false;  // Client with a CA file.
};

}  // namespace ringlet
