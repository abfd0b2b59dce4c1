#pragma once

// Command-line flags of the shard runtime, and their validation. Every
// binary built on core/ links these, so `--help` lists them, and calls
// ParseCommandLine() and ShardGroupOptionsFromFlags() at start-up.
//
// Flags (defaults in runtime_flags.cc):
//   --shards               shard threads (0 = one per core)
//   --pin_shards           pin each shard to a core
//   --log_level            debug | info | warning | error
//   --shutdown_timeout_ms  how long a stop may take before shards give up
//   --ring_sq_entries, --ring_cq_entries   io_uring queue sizes per shard
//   --recv_buffer_count, --recv_buffer_bytes  provided receive buffers per shard
//   --mailbox_depth        messages per shard-to-shard ring
//   --mailbox_wake         msg_ring | eventfd

#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "core/shard.h"

ABSL_DECLARE_FLAG(uint32_t, shards);
ABSL_DECLARE_FLAG(bool, pin_shards);
ABSL_DECLARE_FLAG(std::string, log_level);
ABSL_DECLARE_FLAG(uint32_t, shutdown_timeout_ms);
ABSL_DECLARE_FLAG(uint32_t, ring_sq_entries);
ABSL_DECLARE_FLAG(uint32_t, ring_cq_entries);
ABSL_DECLARE_FLAG(uint32_t, recv_buffer_count);
ABSL_DECLARE_FLAG(uint32_t, recv_buffer_bytes);
ABSL_DECLARE_FLAG(uint32_t, mailbox_depth);
ABSL_DECLARE_FLAG(std::string, mailbox_wake);

namespace ringlet {

// Parses the command line with abseil flags, after rewriting each
// "--some-flag" spelling to "--some_flag" (both are accepted; flag files
// given with --flagfile use the underscore names). Applies --log_level.
// Returns the positional arguments (argv[0] first). Exits with a message on
// an unknown flag or a bad value, as abseil does.
std::vector<std::string> ParseCommandLine(int argc, char** argv, const char* usage);

// Builds and validates the shard group's options from the flags. A bad
// value is an InvalidArgument error naming the flag and the accepted range.
absl::StatusOr<ShardGroup::Options> ShardGroupOptionsFromFlags();

}  // namespace ringlet
