#include "core/runtime_flags.h"

#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "core/log.h"
#include "core/status_macros.h"

ABSL_FLAG(uint32_t, shards, 0, "Shard threads, each pinned to a core (0 = one per core).");
ABSL_FLAG(bool, pin_shards, true, "Pin each shard thread to one core.");
ABSL_FLAG(std::string, log_level, "info", "Lowest level logged: debug, info, warning, error.");
ABSL_FLAG(uint32_t, shutdown_timeout_ms, 5000,
          "On SIGINT/SIGTERM, how long shards may take to close connections before exiting.");
ABSL_FLAG(uint32_t, ring_sq_entries, 1024, "io_uring submission queue entries per shard.");
ABSL_FLAG(uint32_t, ring_cq_entries, 16384, "io_uring completion queue entries per shard.");
ABSL_FLAG(uint32_t, recv_buffer_count, 4096,
          "Provided receive buffers per shard (power of two, at most 32768).");
ABSL_FLAG(uint32_t, recv_buffer_bytes, 4096, "Bytes per provided receive buffer.");
ABSL_FLAG(uint32_t, mailbox_depth, 4096,
          "Messages per shard-to-shard mailbox ring (power of two); more wait in an "
          "overflow list while the sender's connection is paused.");
ABSL_FLAG(std::string, mailbox_wake, "msg_ring",
          "How a shard wakes a sleeping shard: msg_ring or eventfd.");

namespace ringlet {
namespace {

bool IsPowerOfTwo(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

absl::Status Range(const char* flag, uint32_t value, uint32_t low, uint32_t high,
                   bool power_of_two = false) {
  if (value < low || value > high || (power_of_two && !IsPowerOfTwo(value))) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--%s=%u: must be %sin [%u, %u]", flag, value, power_of_two ? "a power of two " : "", low,
        high));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> ParseCommandLine(int argc, char** argv, const char* usage) {
  // abseil allows one usage message per process (tests parse twice).
  static bool usage_set = false;
  if (!usage_set) {
    usage_set = true;
    absl::SetProgramUsageMessage(usage);
  }
  // Accept --some-flag as well as --some_flag: rewrite the name part.
  // A list flag (std::vector<std::string>) given several times collects
  // every value (--domain=a --domain=b means a,b), where abseil alone would
  // keep the last one.
  std::vector<std::string> rewritten;
  absl::flat_hash_map<std::string, size_t> list_flag_position;
  bool positional_only = false;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (i == 0 || positional_only || arg.size() < 3 || arg[0] != '-' || arg[1] != '-') {
      rewritten.push_back(std::move(arg));
      continue;
    }
    if (arg == "--") positional_only = true;
    size_t end = arg.find('=');
    if (end == std::string::npos) end = arg.size();
    for (size_t j = 2; j < end; ++j) {
      if (arg[j] == '-') arg[j] = '_';
    }
    std::string name = arg.substr(2, end - 2);
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr || !flag->IsOfType<std::vector<std::string>>()) {
      rewritten.push_back(std::move(arg));
      continue;
    }
    std::string value;
    if (end < arg.size()) {
      value = arg.substr(end + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    }
    auto [it, first] = list_flag_position.try_emplace(name, rewritten.size());
    if (first) {
      rewritten.push_back("--" + name + "=" + value);
    } else if (!value.empty()) {
      std::string& merged = rewritten[it->second];
      if (merged.back() != '=') merged += ",";
      merged += value;
    }
  }
  std::vector<char*> pointers;
  for (std::string& arg : rewritten) pointers.push_back(arg.data());
  std::vector<char*> positional = absl::ParseCommandLine(static_cast<int>(pointers.size()),
                                                         pointers.data());
  LogLevel level;
  if (!ParseLogLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    std::fprintf(stderr, "--log_level=%s: must be debug, info, warning or error\n",
                 absl::GetFlag(FLAGS_log_level).c_str());
    std::exit(2);
  }
  SetLogLevel(level);
  return std::vector<std::string>(positional.begin(), positional.end());
}

absl::StatusOr<ShardGroup::Options> ShardGroupOptionsFromFlags() {
  ShardGroup::Options options;
  uint32_t shards = absl::GetFlag(FLAGS_shards);
  if (shards == 0) shards = std::max(1u, std::thread::hardware_concurrency());
  RETURN_IF_ERROR(Range("shards", shards, 1, 1024));
  options.shard_count = shards;
  options.shard.pin_to_core = absl::GetFlag(FLAGS_pin_shards);
  RETURN_IF_ERROR(Range("shutdown_timeout_ms", absl::GetFlag(FLAGS_shutdown_timeout_ms), 1,
                        600000));
  options.shard.shutdown_timeout = absl::Milliseconds(absl::GetFlag(FLAGS_shutdown_timeout_ms));
  RETURN_IF_ERROR(Range("ring_sq_entries", absl::GetFlag(FLAGS_ring_sq_entries), 8, 32768, true));
  RETURN_IF_ERROR(Range("ring_cq_entries", absl::GetFlag(FLAGS_ring_cq_entries), 16, 1 << 20,
                        true));
  if (absl::GetFlag(FLAGS_ring_cq_entries) < 2 * absl::GetFlag(FLAGS_ring_sq_entries)) {
    return absl::InvalidArgumentError("--ring_cq_entries must be at least twice --ring_sq_entries");
  }
  options.shard.ring.sq_entries = absl::GetFlag(FLAGS_ring_sq_entries);
  options.shard.ring.cq_entries = absl::GetFlag(FLAGS_ring_cq_entries);
  RETURN_IF_ERROR(Range("recv_buffer_count", absl::GetFlag(FLAGS_recv_buffer_count), 1, 32768,
                        true));
  RETURN_IF_ERROR(Range("recv_buffer_bytes", absl::GetFlag(FLAGS_recv_buffer_bytes), 512,
                        1 << 20));
  options.shard.recv_buffer_count = absl::GetFlag(FLAGS_recv_buffer_count);
  options.shard.recv_buffer_bytes = absl::GetFlag(FLAGS_recv_buffer_bytes);
  RETURN_IF_ERROR(Range("mailbox_depth", absl::GetFlag(FLAGS_mailbox_depth), 2, 1 << 20, true));
  options.mailbox_depth = absl::GetFlag(FLAGS_mailbox_depth);
  std::string wake = absl::GetFlag(FLAGS_mailbox_wake);
  if (wake == "msg_ring") {
    options.shard.wake_mode = WakeMode::kMsgRing;
  } else if (wake == "eventfd") {
    options.shard.wake_mode = WakeMode::kEventfd;
  } else {
    return absl::InvalidArgumentError(
        absl::StrFormat("--mailbox_wake=%s: must be msg_ring or eventfd", wake));
  }
  return options;
}

}  // namespace ringlet
