#include "xmpp/admin/admin_flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "net/address.h"

ABSL_FLAG(std::string, admin_socket, "",
          "Local socket of the admin line protocol (ringletctl talks to it), mode "
          "0600. Default: <data_dir>/ringlet.sock.");
ABSL_FLAG(std::string, metrics_listen, "",
          "HOST:PORT answering GET /metrics in Prometheus text format (all shards "
          "merged). Empty: off.");
ABSL_FLAG(uint32_t, scram_iterations, 4096,
          "PBKDF2 iterations of the SCRAM-SHA-1 and SCRAM-SHA-256 keys stored for "
          "new passwords (RFC 7677 asks for at least 4096).");

namespace ringlet::admin {

absl::Status AdminOptions::Validate() const {
  if (!socket_path.empty()) {
    auto address = SocketAddress::Unix(socket_path);
    if (!address.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--admin_socket: ", std::string(address.status().message()),
          " (with a long --data_dir, set --admin_socket to a shorter path)"));
    }
  }
  if (!metrics_listen.empty()) {
    auto address = SocketAddress::Parse(metrics_listen);
    if (!address.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--metrics_listen: ", std::string(address.status().message())));
    }
  }
  if (scram_iterations < kScramIterationsMin || scram_iterations > kScramIterationsMax) {
    return absl::InvalidArgumentError(absl::StrCat("--scram_iterations=", scram_iterations,
                                                   ": must be in [", kScramIterationsMin, ", ",
                                                   kScramIterationsMax, "]"));
  }
  if (commit_batch == 0) return absl::InvalidArgumentError("commit_batch must be > 0");
  if (line_bytes_max < 256) return absl::InvalidArgumentError("line_bytes_max must be >= 256");
  return absl::OkStatus();
}

std::string DefaultSocketPath(const std::string& data_dir) {
  if (data_dir.empty()) return "";
  if (data_dir.back() == '/') return data_dir + kDefaultSocketName;
  return absl::StrCat(data_dir, "/", kDefaultSocketName);
}

absl::StatusOr<AdminOptions> AdminOptionsFromFlags(const std::string& data_dir) {
  AdminOptions options;
  options.socket_path = absl::GetFlag(FLAGS_admin_socket);
  if (options.socket_path.empty()) options.socket_path = DefaultSocketPath(data_dir);
  options.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  options.scram_iterations = absl::GetFlag(FLAGS_scram_iterations);
  absl::Status valid = options.Validate();
  if (!valid.ok()) return valid;
  return options;
}

}  // namespace ringlet::admin
