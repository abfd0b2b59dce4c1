#pragma once

// Command-line flags of client-to-server streams, and their validation:
//   --domain                        served domains, comma-separated (first = default)
//   --require_tls                   refuse SASL until TLS is up (false: plain TCP
//                                   and PLAIN allowed, for loopback tests/benchmarks)
//   --sasl_attempts_max             failed SASL attempts per stream before it closes
//   --auth_timeout_ms               time a new stream has to authenticate
//   --auth_failures_per_address_max failed logins per source address per minute
//                                   (per shard) before logins from it are refused

#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "xmpp/c2s/c2s_service.h"

ABSL_DECLARE_FLAG(std::vector<std::string>, domain);
ABSL_DECLARE_FLAG(bool, require_tls);
ABSL_DECLARE_FLAG(uint32_t, sasl_attempts_max);
ABSL_DECLARE_FLAG(uint32_t, auth_timeout_ms);
ABSL_DECLARE_FLAG(uint32_t, auth_failures_per_address_max);

namespace ringlet::xmpp {

// Builds and validates C2sConfig from the flags (XML limits included).
absl::StatusOr<C2sConfig> C2sConfigFromFlags();

}  // namespace ringlet::xmpp
