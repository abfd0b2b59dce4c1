#pragma once

// Command-line flags of the storage engine (--data_dir, --sync, ...), kept
// apart from the engine so that tests and tools can build options by hand.
// Read once at start-up on the main thread.

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "storage/rocksdb_storage.h"
#include "storage/storage_service.h"

ABSL_DECLARE_FLAG(std::string, data_dir);
ABSL_DECLARE_FLAG(std::string, sync);
ABSL_DECLARE_FLAG(uint32_t, sync_interval_ms);
ABSL_DECLARE_FLAG(uint32_t, offline_messages_max);
ABSL_DECLARE_FLAG(uint32_t, roster_items_max);
ABSL_DECLARE_FLAG(uint32_t, fault_storage_sync_stall_ms);

namespace ringlet::storage {

// Builds and validates the engine's options from the flags; the error names
// the bad flag.
absl::StatusOr<RocksDbStorageOptions> RocksDbStorageOptionsFromFlags();

// The shards' StorageService options for the engine's `options` (an fsync
// before acknowledging with --sync=always) and the fault-injection flag.
absl::StatusOr<StorageService::Options> StorageServiceOptionsFromFlags(
    const RocksDbStorageOptions& options);

}  // namespace ringlet::storage
