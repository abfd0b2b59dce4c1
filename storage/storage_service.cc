#include "storage/storage_service.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "core/check.h"
#include "core/log.h"

namespace ringlet::storage {
namespace {

constexpr uint32_t kOpReport = 1;

void Signal(int fd) {
  uint64_t one = 1;
  // An eventfd write fails only on counter overflow, which 2^64-1 signals
  // would take.
  if (write(fd, &one, sizeof(one)) != sizeof(one)) {
    LOG_ERROR("storage: eventfd write failed: %s", strerror(errno));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<StorageService>> StorageService::Create(Shard* shard,
                                                                       Storage* storage,
                                                                       const Options& options) {
  int to_worker = eventfd(0, EFD_CLOEXEC);
  int to_shard = eventfd(0, EFD_CLOEXEC);
  if (to_worker < 0 || to_shard < 0) {
    if (to_worker >= 0) close(to_worker);
    if (to_shard >= 0) close(to_shard);
    return absl::InternalError(absl::StrFormat("storage: eventfd: %s", strerror(errno)));
  }
  return std::unique_ptr<StorageService>(
      new StorageService(shard, storage, storage->NewWriter(shard->id(), CommitSync::kDeferred),
                         options, to_worker, to_shard));
}

StorageService::StorageService(Shard* shard, Storage* storage,
                               std::unique_ptr<StorageWriter> writer, const Options& options,
                               int to_worker, int to_shard)
    : shard_(shard),
      storage_(storage),
      writer_(std::move(writer)),
      options_(options),
      to_worker_(to_worker),
      to_shard_(to_shard) {
  worker_ = std::thread([this] { WorkerMain(); });
}

StorageService::~StorageService() {
  // The shard stopped only once Idle(): no report is armed, no callback
  // waits. Anything applied since is synced by the engine when it closes.
  stopping_.store(true, std::memory_order_release);
  Signal(to_worker_);
  worker_.join();
  close(to_worker_);
  close(to_shard_);
}

StorageWriter& StorageService::writer() {
  shard_->ScheduleTurnWork(this);
  return *writer_;
}

void StorageService::AfterDurable(Done done) {
  // This turn's commit point covers every write made so far: those still
  // pending, and any a caller applied itself with writer().Commit() (an
  // account command commits in slices).
  waiters_.push_back(Waiter{committed_ + 1, std::move(done)});
  shard_->ScheduleTurnWork(this);
}

void StorageService::RunTurnWork() {
  const bool waited_on = !waiters_.empty() && waiters_.back().sequence > committed_;
  if (writer_->pending_writes() == 0) {
    if (waited_on) ++committed_;  // a commit point with nothing left to apply
  } else {
    ++committed_;
    absl::Status status = writer_->Commit();
    if (!status.ok()) {
      // The batch is dropped: its waiters get the error now; the others
      // are unaffected.
      LOG_ERROR("storage: commit on shard %u failed: %s", shard_->id().value(),
                status.ToString());
      for (auto it = waiters_.begin(); it != waiters_.end();) {
        if (it->sequence != committed_) {
          ++it;
          continue;
        }
        Done done = std::move(it->done);
        it = waiters_.erase(it);
        done(status);
      }
    }
  }
  if (!options_.fsync_before_ack) {
    synced_.store(committed_, std::memory_order_relaxed);
    RunDurable();
    return;
  }
  RunDurable();  // waiters on commits already synced
  if (waiters_.empty()) return;
  if (requested_.load(std::memory_order_relaxed) < committed_) {
    requested_.store(committed_, std::memory_order_release);
    Signal(to_worker_);
  }
  ArmReport();
}

void StorageService::ArmReport() {
  if (report_armed_) return;
  io_uring_sqe* sqe = shard_->ring().Prepare(this, kOpReport, &report_token_);
  io_uring_prep_read(sqe, to_shard_, &report_value_, sizeof(report_value_), 0);
  report_armed_ = true;
}

void StorageService::OnCompletion(const Completion& completion) {
  report_armed_ = false;
  if (completion.result < 0) {
    LOG_ERROR("storage: eventfd read failed: %s", strerror(-completion.result));
  } else {
    ++syncs_done_;
  }
  RunDurable();
  if (!waiters_.empty()) {
    // Waiters on commits made after the last request: ask again.
    if (requested_.load(std::memory_order_relaxed) < committed_) {
      requested_.store(committed_, std::memory_order_release);
      Signal(to_worker_);
    }
    ArmReport();
  }
}

void StorageService::RunDurable() {
  const uint64_t synced = synced_.load(std::memory_order_acquire);
  const uint64_t failed = failed_.load(std::memory_order_acquire);
  // Callbacks may add waiters (a reply that writes again): take the due
  // ones first.
  std::deque<Waiter> due;
  while (!waiters_.empty() &&
         (waiters_.front().sequence <= synced || waiters_.front().sequence <= failed)) {
    due.push_back(std::move(waiters_.front()));
    waiters_.pop_front();
  }
  for (Waiter& waiter : due) {
    if (waiter.sequence <= synced) {
      waiter.done(absl::OkStatus());
    } else {
      waiter.done(absl::UnavailableError("storage: the log could not be synced to disk"));
    }
  }
}

void StorageService::WorkerMain() {
  while (true) {
    uint64_t value = 0;
    if (read(to_worker_, &value, sizeof(value)) < 0 && errno == EINTR) continue;
    if (stopping_.load(std::memory_order_acquire)) return;
    const uint64_t target = requested_.load(std::memory_order_acquire);
    if (target <= synced_.load(std::memory_order_relaxed)) continue;
    if (options_.sync_stall > absl::ZeroDuration()) absl::SleepFor(options_.sync_stall);
    absl::Status status = storage_->SyncLog();
    if (status.ok()) {
      synced_.store(target, std::memory_order_release);
    } else {
      LOG_ERROR("storage: %s", status.ToString());
      failed_.store(target, std::memory_order_release);
    }
    Signal(to_shard_);
  }
}

void StorageService::Stop() {}

bool StorageService::Idle() const { return waiters_.empty() && !report_armed_; }

}  // namespace ringlet::storage
