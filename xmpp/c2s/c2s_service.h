#pragma once

// C2sService: the client-to-server side of one shard. ringletd creates one
// per shard; it creates a C2sSession for every accepted client connection,
// adopts sessions handed over from other shards (a session moves to its
// user's home shard right after SASL), tells every session about a server
// shutdown (system-shutdown), and keeps the per-address record of failed
// logins that slows password guessing.
//
// Shard-local. Limits (C2sConfig): SASL attempts per stream, failed logins
// per source address per minute, time allowed to authenticate.

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "core/metrics.h"
#include "core/shard.h"
#include "net/connection_table.h"
#include "net/tls/tls_context.h"
#include "storage/storage.h"
#include "xmpp/router/router.h"
#include "xmpp/xml/limits.h"
#include "xmpp/xml/stanza.h"

namespace ringlet::xmpp {

class C2sSession;

struct C2sConfig {
  std::vector<std::string> domains;  // canonical; the first is the default
  bool require_tls = true;
  // The server TLS context (STARTTLS and direct TLS), or null: no TLS.
  const TlsContext* tls = nullptr;
  xml::XmlLimits xml_limits;
  // Offer the SCRAM -PLUS mechanisms (tls-exporter, TLS 1.3) and XEP-0440.
  bool sasl_channel_binding = false;
  uint32_t sasl_attempts_max = 3;
  uint32_t auth_failures_per_address_max = 20;  // per minute, per shard
  absl::Duration auth_timeout = absl::Seconds(30);
  std::string server_version = "0.1";
};

class C2sService final : public ShardService {
 public:
  // Hand-over kind of a c2s session (ConnectionTable adopters).
  static constexpr uint32_t kHandoverKind = 1;

  C2sService(Shard* shard, ConnectionTable* table, Router* router, storage::Storage* storage,
             const C2sConfig* config);
  ~C2sService() override;

  // Starts a session on a newly accepted connection; `direct_tls` for the
  // XEP-0368 port, where TLS starts with the first byte.
  void Accept(Connection& connection, bool direct_tls = false);

  Shard& shard() { return *shard_; }
  Router& router() { return *router_; }
  storage::Storage& storage() { return *storage_; }
  const C2sConfig& config() const { return *config_; }
  xml::StanzaParser& parser() { return parser_; }

  // A random token of `chars` hex digits (stream ids, resources).
  std::string RandomToken(size_t chars);

  // Failed-login bookkeeping per source address (a sliding minute).
  bool AddressBlocked(const std::string& address);
  void RecordAuthFailure(const std::string& address);

  void Stop() override;
  bool Idle() const override { return true; }

  uint64_t logins() const { return logins_; }
  uint64_t login_failures() const { return login_failures_; }
  void CountLogin() { ++logins_; }
  // Records the time from accept to resource binding (µs), if a histogram
  // was given (ringletd gives the shard's metrics histogram).
  void set_login_latency_histogram(Histogram* histogram) { login_latency_us_ = histogram; }
  void RecordLoginLatency(absl::Duration latency) {
    if (login_latency_us_ != nullptr) {
      login_latency_us_->Record(static_cast<uint64_t>(absl::ToInt64Microseconds(latency)));
    }
  }

 private:
  struct Failures {
    absl::Time window_start;
    uint32_t count = 0;
  };

  Shard* const shard_;
  ConnectionTable* const table_;
  Router* const router_;
  storage::Storage* const storage_;
  const C2sConfig* const config_;
  xml::StanzaParser parser_;
  absl::flat_hash_map<std::string, Failures> failures_;
  uint64_t logins_ = 0;
  uint64_t login_failures_ = 0;
  Histogram* login_latency_us_ = nullptr;
};

}  // namespace ringlet::xmpp
