#pragma once

// StorageService: a shard's access to storage, with durability off the
// shard thread. One per shard; it owns the shard's StorageWriter and a
// storage thread of its own.
//
//   writer()        the shard's writes (and reads that see them); every
//                   write of a loop turn is applied as one batch at the end
//                   of the turn (TurnWork), without an fsync.
//   AfterDurable()  runs a callback once the writes made so far are
//                   durable under --sync: with `always`, after the storage
//                   thread's next fsync of the log that covers them (one
//                   fsync covers every turn committed before it: group
//                   commit); with `batch` and `none`, right after the batch
//                   is applied (batch: a background fsync follows within
//                   --sync_interval_ms; none: the OS decides).
//
// Whatever is acknowledged to a client (an iq result, later a stream
// management <a/>) is sent from an AfterDurable() callback, so that
// "acknowledged" means "survives kill -9" under --sync=always, and the
// shard's loop never waits for the disk: a slow fsync delays only the
// acknowledgements that depend on it (tests/e2e: a 500 ms stall leaves other
// sessions of the shard answered at once).
//
// Reads (and the batch's apply, a memtable insert plus a write(2) of the
// log) still run on the shard thread; they wait for the disk only when
// RocksDB's block cache and the page cache miss. See docs/architecture.md.
//
// Threads: every method runs on the shard's thread. The storage thread
// only calls Storage::SyncLog() and then reports through two atomics and
// an eventfd that the shard's ring reads (armed only while a sync is
// outstanding, so an idle service has nothing in flight).
// Limits: callbacks wait in a queue bounded by what the shard acknowledges
// per fsync; a failed commit or fsync hands every waiting callback the
// error (the caller answers with an error, never a false success).

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <thread>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/ring.h"
#include "core/shard.h"
#include "storage/storage.h"

namespace ringlet::storage {

class StorageService final : public ShardService, public TurnWork, public RingClient {
 public:
  using Done = absl::AnyInvocable<void(const absl::Status&)>;

  struct Options {
    // True for --sync=always: AfterDurable waits for an fsync.
    bool fsync_before_ack = true;
    // Fault injection for tests: the storage thread sleeps this long
    // before every fsync (a slow disk). 0 in production.
    absl::Duration sync_stall = absl::ZeroDuration();
  };

  // Makes the service of `shard` with a writer of `storage` (made here,
  // with deferred durability). Call on the shard's thread.
  static absl::StatusOr<std::unique_ptr<StorageService>> Create(Shard* shard, Storage* storage,
                                                                const Options& options);
  ~StorageService() override;

  // The shard's writer; schedules this turn's commit.
  StorageWriter& writer();
  // Reads that see this shard's writes, committed or not (the writer, as a
  // reader: nothing is scheduled).
  StorageReader& reader() { return *writer_; }
  // Runs `done` once every write made so far is durable (see the class
  // comment), with the error if the commit or the fsync failed. Writes
  // applied with writer().Commit() directly are covered too.
  void AfterDurable(Done done);

  // Reports read from the storage thread (each covers one fsync or more).
  uint64_t syncs() const { return syncs_done_; }

  // ShardService
  void Stop() override;
  bool Idle() const override;
  // TurnWork: applies the turn's batch, asks for an fsync if needed.
  void RunTurnWork() override;
  // RingClient: the storage thread reported.
  void OnCompletion(const Completion& completion) override;

 private:
  struct Waiter {
    uint64_t sequence;  // durable once synced_ reaches it
    Done done;
  };

  StorageService(Shard* shard, Storage* storage, std::unique_ptr<StorageWriter> writer,
                 const Options& options, int to_worker, int to_shard);
  void WorkerMain();
  void ArmReport();
  // Runs the callbacks whose writes are now durable (or failed).
  void RunDurable();

  Shard* const shard_;
  Storage* const storage_;
  const std::unique_ptr<StorageWriter> writer_;
  const Options options_;
  // Commits applied (each increments it); a waiter made after commit N is
  // durable once N is synced.
  uint64_t committed_ = 0;
  std::deque<Waiter> waiters_;
  absl::Status commit_failure_;  // of the latest commit, for its waiters
  bool report_armed_ = false;
  OpToken report_token_ = 0;
  uint64_t report_value_ = 0;
  uint64_t syncs_done_ = 0;

  // Shared with the storage thread: the shard raises `requested_` and
  // writes `to_worker_`; the thread syncs, raises `synced_` (or `failed_`)
  // and writes `to_shard_`.
  std::atomic<uint64_t> requested_{0};
  std::atomic<uint64_t> synced_{0};
  std::atomic<uint64_t> failed_{0};
  std::atomic<bool> stopping_{false};
  const int to_worker_;  // eventfd: work for the storage thread
  const int to_shard_;   // eventfd: read by the shard's ring
  std::thread worker_;
};

}  // namespace ringlet::storage
