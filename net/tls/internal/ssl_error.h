#pragma once

// Turns BoringSSL's thread-local error queue into absl::Status messages.
// Package-private to net/tls.

#include <string>

#include "absl/status/status.h"

namespace ringlet::tls_internal {

// Drains the calling thread's BoringSSL error queue and returns its entries
// as "reason (library)" joined by "; ", or "no BoringSSL error" if it was
// empty. The queue is empty afterwards.
std::string DrainSslErrors();

// Returns a status of `code` whose message is `what` followed by ": " and the
// drained error queue.
absl::Status SslStatus(absl::StatusCode code, const std::string& what);

}  // namespace ringlet::tls_internal
