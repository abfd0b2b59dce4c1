#pragma once

// The embedded storage engine: one RocksDB database in a data directory,
// opened once per process and shared by every shard (RocksDB is
// thread-safe). Implements storage/storage.h; the key layout is in
// storage/README.md.
//
// Lifetime: OpenRocksDbStorage at start-up, before the shards start; every
// StorageWriter it made must be destroyed before it. Opening a data
// directory that another process (or this one) holds fails with
// FailedPrecondition: RocksDB's LOCK file is held for the whole lifetime.
//
// Durability (`--sync`): a StorageWriter::Commit() writes its batch to the
// write-ahead log, then
//   kAlways  fsyncs the log before returning (group commit: RocksDB merges
//            concurrent commits of several shards into one fsync);
//   kBatch   returns at once; a background thread fsyncs the log every
//            sync_interval_ms, so a power loss loses at most that much;
//   kNone    never fsyncs (the OS writes back when it likes).
// In every mode a committed batch survives a crash of the process itself,
// since the log write has reached the kernel. Commit() blocks the calling
// shard for the log write (and, with kAlways, the fsync).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/storage.h"

namespace ringlet::storage {

enum class SyncMode { kAlways, kBatch, kNone };

// Parses "always", "batch" or "none".
bool ParseSyncMode(std::string_view text, SyncMode* mode);
const char* SyncModeName(SyncMode mode);

struct RocksDbStorageOptions {
  std::string data_dir;
  SyncMode sync = SyncMode::kAlways;
  // kBatch only: the longest time a commit stays unsynced.
  uint32_t sync_interval_ms = 10;
  // Per user; AppendOfflineMessage refuses beyond it.
  uint32_t offline_messages_max = 1000;
  // Per user; SetRosterItem refuses a new item beyond it.
  uint32_t roster_items_max = 2000;
  // Caps the results of one ArchiveQuery and one ListUsers page.
  uint32_t query_results_max = 1000;
  // Caps each per-contact count of GetUnreadCounts (and so its cost).
  uint32_t unread_count_max = 1000;

  // Returns InvalidArgument naming the first bad field.
  absl::Status Validate() const;
};

// Opens (creating if needed) the database in options.data_dir.
absl::StatusOr<std::unique_ptr<Storage>> OpenRocksDbStorage(
    const RocksDbStorageOptions& options);

}  // namespace ringlet::storage
