#include "xmpp/c2s/c2s_flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/str_format.h"
#include "core/status_macros.h"
#include "xmpp/jid/jid.h"
#include "xmpp/xml/xml_flags.h"

ABSL_FLAG(std::vector<std::string>, domain, {"localhost"},
          "Domains this server serves, comma-separated; the first is the default for "
          "streams that name none.");
ABSL_FLAG(bool, require_tls, true,
          "Require TLS before SASL. false allows plain TCP and PLAIN (loopback tests and "
          "benchmarks only).");
ABSL_FLAG(bool, sasl_channel_binding, false,
          "Offer SCRAM-SHA-256-PLUS and SCRAM-SHA-1-PLUS (channel binding tls-exporter, TLS 1.3 "
          "only), announced with XEP-0440. Off by default: clients that ignore XEP-0440 (e.g. "
          "slixmpp 1.8) pick -PLUS with tls-unique, which TLS 1.3 does not define, fail and retry. "
          "Without it SCRAM still protects the password, but a client cannot detect a "
          "man-in-the-middle that holds a certificate it trusts for this domain.");
ABSL_FLAG(uint32_t, sasl_attempts_max, 3,
          "Failed SASL attempts per stream before the stream is closed (policy-violation).");
ABSL_FLAG(uint32_t, auth_timeout_ms, 30000,
          "Time a new client stream has to authenticate before it is closed.");
ABSL_FLAG(uint32_t, auth_failures_per_address_max, 20,
          "Failed logins per source address per minute (per shard) before further "
          "logins from that address are refused with temporary-auth-failure.");

namespace ringlet::xmpp {

absl::StatusOr<C2sConfig> C2sConfigFromFlags() {
  C2sConfig config;
  for (const std::string& text : absl::GetFlag(FLAGS_domain)) {
    auto jid = Jid::Parse(text);
    if (!jid.ok() || !jid->is_domain()) {
      return absl::InvalidArgumentError(absl::StrFormat("--domain=%s: not a domain name", text));
    }
    config.domains.push_back(jid->domain());
  }
  if (config.domains.empty()) return absl::InvalidArgumentError("--domain: give at least one");
  config.require_tls = absl::GetFlag(FLAGS_require_tls);
  config.sasl_channel_binding = absl::GetFlag(FLAGS_sasl_channel_binding);
  config.sasl_attempts_max = absl::GetFlag(FLAGS_sasl_attempts_max);
  if (config.sasl_attempts_max == 0 || config.sasl_attempts_max > 100) {
    return absl::InvalidArgumentError("--sasl_attempts_max must be in [1, 100]");
  }
  uint32_t auth_timeout_ms = absl::GetFlag(FLAGS_auth_timeout_ms);
  if (auth_timeout_ms < 100 || auth_timeout_ms > 3600000) {
    return absl::InvalidArgumentError("--auth_timeout_ms must be in [100, 3600000]");
  }
  config.auth_timeout = absl::Milliseconds(auth_timeout_ms);
  config.auth_failures_per_address_max = absl::GetFlag(FLAGS_auth_failures_per_address_max);
  if (config.auth_failures_per_address_max == 0) {
    return absl::InvalidArgumentError("--auth_failures_per_address_max must be > 0");
  }
  ASSIGN_OR_RETURN(config.xml_limits, xml::XmlLimitsFromFlags());
  return config;
}

}  // namespace ringlet::xmpp
