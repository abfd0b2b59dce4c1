#pragma once

// Flags and options of the admin service (xmpp/admin/admin_service.h),
// shared with ringletctl, which reads --admin_socket and --scram_iterations
// too. Read once at start-up on the main thread.
//
// Flags:
//   --admin_socket      local socket of the admin line protocol
//                       (default <data_dir>/ringlet.sock)
//   --metrics_listen    HOST:PORT of the Prometheus endpoint (default off)
//   --scram_iterations  PBKDF2 iterations of newly stored SCRAM keys

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

ABSL_DECLARE_FLAG(std::string, admin_socket);
ABSL_DECLARE_FLAG(std::string, metrics_listen);
ABSL_DECLARE_FLAG(uint32_t, scram_iterations);

namespace ringlet::admin {

inline constexpr char kDefaultSocketName[] = "ringlet.sock";
inline constexpr uint32_t kScramIterationsMin = 1;
inline constexpr uint32_t kScramIterationsMax = 10000000;

struct AdminOptions {
  // Path of the admin socket (shard 0 listens there); "" for none.
  std::string socket_path;
  // HOST:PORT answering GET /metrics (shard 0); "" for none.
  std::string metrics_listen;
  // Iterations of the SCRAM keys that account commands store.
  uint32_t scram_iterations = 4096;
  // How long `stats` waits for every shard's snapshot before answering
  // with those that arrived.
  absl::Duration stats_timeout = absl::Seconds(2);
  // add-range commits after this many accounts (and at the end).
  uint32_t commit_batch = 1000;
  // Longest request line; a longer one closes the admin connection.
  size_t line_bytes_max = 64 * 1024;
  // CPU time one account command may take per loop turn before it yields
  // to the rest of shard 0 (add-range runs over many turns).
  absl::Duration slice = absl::Milliseconds(5);

  // Returns InvalidArgument naming the first bad field.
  absl::Status Validate() const;
};

// Returns "<data_dir>/ringlet.sock", or "" when data_dir is "".
std::string DefaultSocketPath(const std::string& data_dir);

// Builds and validates the options from the flags. The socket defaults to
// DefaultSocketPath(data_dir); an error names the bad flag.
absl::StatusOr<AdminOptions> AdminOptionsFromFlags(const std::string& data_dir);

}  // namespace ringlet::admin
