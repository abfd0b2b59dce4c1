#include "storage/storage_flags.h"

#include <string>

#include "absl/flags/flag.h"
#include "core/status_macros.h"

ABSL_FLAG(std::string, data_dir, "",
          "Directory of the embedded database (created if missing; one "
          "ringlet process per directory).");
ABSL_FLAG(std::string, sync, "always",
          "Durability of committed writes: always (fsync the log before a "
          "write is acknowledged), batch (fsync at most every "
          "--sync_interval_ms), none (leave it to the OS).");
ABSL_FLAG(uint32_t, sync_interval_ms, 10,
          "With --sync=batch: the longest time an acknowledged write stays "
          "unsynced.");
ABSL_FLAG(uint32_t, offline_messages_max, 1000,
          "Offline messages kept per user; further ones are refused.");
ABSL_FLAG(uint32_t, fault_storage_sync_stall_ms, 0,
          "Fault injection for tests: every fsync of the storage log first waits this long "
          "(a slow disk; 0-10000). Acknowledgements wait for it; nothing else does.");
ABSL_FLAG(uint32_t, roster_items_max, 2000,
          "Roster items per user; further ones are refused.");

namespace ringlet::storage {

absl::StatusOr<RocksDbStorageOptions> RocksDbStorageOptionsFromFlags() {
  RocksDbStorageOptions options;
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  const std::string sync = absl::GetFlag(FLAGS_sync);
  if (!ParseSyncMode(sync, &options.sync)) {
    return absl::InvalidArgumentError(
        "--sync must be always, batch or none, not '" + sync + "'");
  }
  options.sync_interval_ms = absl::GetFlag(FLAGS_sync_interval_ms);
  options.offline_messages_max = absl::GetFlag(FLAGS_offline_messages_max);
  options.roster_items_max = absl::GetFlag(FLAGS_roster_items_max);
  RETURN_IF_ERROR(options.Validate());
  return options;
}

absl::StatusOr<StorageService::Options> StorageServiceOptionsFromFlags(
    const RocksDbStorageOptions& options) {
  StorageService::Options service;
  service.fsync_before_ack = options.sync == SyncMode::kAlways;
  const uint32_t stall_ms = absl::GetFlag(FLAGS_fault_storage_sync_stall_ms);
  if (stall_ms > 10000) {
    return absl::InvalidArgumentError("--fault_storage_sync_stall_ms must be in [0, 10000]");
  }
  service.sync_stall = absl::Milliseconds(stall_ms);
  return service;
}

}  // namespace ringlet::storage
