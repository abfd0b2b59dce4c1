#pragma once

// Ring: the io_uring instance of one shard, and the dispatch of its
// completions to the objects that own the operations.
//
// Lifecycle: created by the shard thread (SINGLE_ISSUER ties the ring to the
// thread that first submits on it), used only by that thread, destroyed by
// it after every tracked operation has completed.
//
// Every tracked operation occupies an op slot. Its user_data ("token") holds
// the slot index and a generation number, so a completion that arrives after
// its slot was reused is caught and counted instead of being delivered to the
// wrong owner. A multishot operation keeps its slot until its final
// completion (the one without IORING_CQE_F_MORE).
//
// One loop turn: owners Prepare() SQEs, the shard calls SubmitAndWait() once
// (a single io_uring_enter that submits everything queued this turn and, with
// DEFER_TASKRUN, runs the kernel's completion work), then
// DispatchCompletions().
//
// Limits: `sq_entries` SQEs per submit (a full SQ is submitted early, which
// costs one more syscall but never fails), `cq_entries` completions queued
// (the kernel keeps overflowed completions, IORING_FEAT_NODROP).

#include <liburing.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ringlet {

// One completion as delivered to a RingClient.
struct Completion {
  uint32_t op;      // the owner's tag given to Prepare()
  int32_t result;   // cqe->res: bytes, an fd, or -errno
  uint32_t flags;   // cqe->flags
  bool more() const { return (flags & IORING_CQE_F_MORE) != 0; }
  bool has_buffer() const { return (flags & IORING_CQE_F_BUFFER) != 0; }
  uint16_t buffer_id() const { return static_cast<uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT); }
};

// An object that owns ring operations. Completions are dispatched to it on
// the shard thread. It must outlive every operation it prepared.
class RingClient {
 public:
  virtual void OnCompletion(const Completion& completion) = 0;

 protected:
  ~RingClient() = default;
};

using OpToken = uint64_t;

class Ring {
 public:
  struct Options {
    uint32_t sq_entries = 1024;
    uint32_t cq_entries = 16384;
  };

  // user_data of a completion nobody needs (cancel requests, the sender's copy
  // of a MSG_RING): dropped by the dispatcher.
  static constexpr uint64_t kIgnoredToken = 0;
  // user_data carried by a wake-up sent to this ring with MSG_RING.
  static constexpr uint64_t kWakeToken = ~uint64_t{0};

  // Creates a ring with SINGLE_ISSUER | DEFER_TASKRUN. Fails clearly on a
  // kernel that lacks what the server needs.
  static absl::StatusOr<std::unique_ptr<Ring>> Create(const Options& options);
  ~Ring();

  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  // Returns a zeroed SQE whose completion(s) go to `client` tagged `op`, and
  // stores the operation's token in *token (for CancelOp). Never fails: a
  // full submission queue is submitted first.
  io_uring_sqe* Prepare(RingClient* client, uint32_t op, OpToken* token = nullptr);

  // Returns a zeroed SQE whose completion is ignored (user_data is
  // kIgnoredToken unless the caller sets it).
  io_uring_sqe* PrepareUntracked();

  // Asks the kernel to cancel the operation `token` (its owner then sees its
  // final completion, usually -ECANCELED). Harmless if it already finished.
  void CancelOp(OpToken token);

  // Submits everything prepared and, if `wait` is true, waits until at least
  // one completion arrives, `deadline` passes, or a signal interrupts.
  absl::Status SubmitAndWait(bool wait, absl::Time deadline);

  // Delivers every available completion to its owner. Returns how many were
  // delivered; wake-ups (kWakeToken) and ignored completions are counted
  // separately.
  int DispatchCompletions();

  int fd() const { return ring_.ring_fd; }
  io_uring* raw() { return &ring_; }
  // Tracked operations not yet finally completed.
  size_t ops_in_flight() const { return slots_.size() - free_slots_.size(); }
  uint64_t wakeups_received() const { return wakeups_received_; }
  uint64_t stale_completions() const { return stale_completions_; }

 private:
  struct Slot {
    RingClient* client = nullptr;
    uint32_t op = 0;
    uint32_t generation = 0;
    bool in_use = false;
  };

  Ring() = default;
  io_uring_sqe* GetSqe();

  io_uring ring_{};
  bool initialised_ = false;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  uint64_t wakeups_received_ = 0;
  uint64_t stale_completions_ = 0;
};

}  // namespace ringlet
