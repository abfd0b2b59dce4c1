#pragma once

// Command-line flags of the storage engine (--data_dir, --sync, ...), kept
// apart from the engine so that tests and tools can build options by hand.
// Read once at start-up on the main thread.

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "storage/rocksdb_storage.h"

ABSL_DECLARE_FLAG(std::string, data_dir);
ABSL_DECLARE_FLAG(std::string, sync);
ABSL_DECLARE_FLAG(uint32_t, sync_interval_ms);
ABSL_DECLARE_FLAG(uint32_t, offline_messages_max);
ABSL_DECLARE_FLAG(uint32_t, roster_items_max);

namespace ringlet::storage {

// Builds and validates the engine's options from the flags; the error names
// the bad flag.
absl::StatusOr<RocksDbStorageOptions> RocksDbStorageOptionsFromFlags();

}  // namespace ringlet::storage
