#include "net/net_flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/str_format.h"

ABSL_FLAG(uint32_t, connections_max, 200000, "Open connections per shard; more are refused.");
ABSL_FLAG(uint32_t, connections_per_address_max, 100000,
          "Open connections per shard from one source address; more are refused.");
ABSL_FLAG(uint32_t, send_queue_bytes_max, 1 << 20,
          "Bytes queued for sending per connection; past this a send is refused and the "
          "protocol layer closes the connection.");
ABSL_FLAG(uint32_t, idle_timeout_ms, 300000,
          "Close a connection that has sent nothing for this long (0 = never).");
ABSL_FLAG(uint32_t, close_timeout_ms, 5000,
          "Abort an orderly close whose queued bytes the peer has not read by then.");
ABSL_FLAG(uint32_t, listen_backlog, 4096, "listen(2) backlog of each listening socket.");

namespace ringlet {

absl::StatusOr<ConnectionTableLimits> ConnectionTableLimitsFromFlags() {
  ConnectionTableLimits limits;
  auto positive = [](const char* name, uint32_t value) -> absl::Status {
    if (value == 0) return absl::InvalidArgumentError(absl::StrFormat("--%s must be > 0", name));
    return absl::OkStatus();
  };
  for (auto [name, value] : {std::pair{"connections_max", absl::GetFlag(FLAGS_connections_max)},
                             std::pair{"connections_per_address_max",
                                       absl::GetFlag(FLAGS_connections_per_address_max)},
                             std::pair{"send_queue_bytes_max",
                                       absl::GetFlag(FLAGS_send_queue_bytes_max)},
                             std::pair{"close_timeout_ms", absl::GetFlag(FLAGS_close_timeout_ms)},
                             std::pair{"listen_backlog", absl::GetFlag(FLAGS_listen_backlog)}}) {
    absl::Status status = positive(name, value);
    if (!status.ok()) return status;
  }
  if (absl::GetFlag(FLAGS_send_queue_bytes_max) < 4096) {
    return absl::InvalidArgumentError("--send_queue_bytes_max must be at least 4096");
  }
  limits.connections_max = absl::GetFlag(FLAGS_connections_max);
  limits.connections_per_address_max = absl::GetFlag(FLAGS_connections_per_address_max);
  limits.connection.send_queue_bytes_max = absl::GetFlag(FLAGS_send_queue_bytes_max);
  uint32_t idle = absl::GetFlag(FLAGS_idle_timeout_ms);
  limits.connection.idle_timeout =
      idle == 0 ? absl::InfiniteDuration() : absl::Milliseconds(idle);
  limits.connection.close_timeout = absl::Milliseconds(absl::GetFlag(FLAGS_close_timeout_ms));
  return limits;
}

}  // namespace ringlet
