#pragma once

// Command-line flags of the connection layer (limits per shard), and their
// validation:
//   --connections_max              open connections per shard
//   --connections_per_address_max  open connections per shard per source address
//   --send_queue_bytes_max         bytes queued for sending per connection
//   --idle_timeout_ms              close a connection silent for this long
//   --close_timeout_ms             abort an orderly close the peer does not drain
//   --listen_backlog               listen(2) backlog per listening socket

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "net/connection_table.h"

ABSL_DECLARE_FLAG(uint32_t, connections_max);
ABSL_DECLARE_FLAG(uint32_t, connections_per_address_max);
ABSL_DECLARE_FLAG(uint32_t, send_queue_bytes_max);
ABSL_DECLARE_FLAG(uint32_t, idle_timeout_ms);
ABSL_DECLARE_FLAG(uint32_t, close_timeout_ms);
ABSL_DECLARE_FLAG(uint32_t, listen_backlog);

namespace ringlet {

// Builds and validates the per-shard connection limits from the flags.
absl::StatusOr<ConnectionTableLimits> ConnectionTableLimitsFromFlags();

}  // namespace ringlet
