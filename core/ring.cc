#include "core/ring.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_format.h"
#include "core/check.h"
#include "core/log.h"

namespace ringlet {
namespace {

constexpr uint64_t EncodeToken(uint32_t index, uint32_t generation) {
  // Index is stored +1 so that no token equals kIgnoredToken (0), and a
  // generation of 0xffffffff with index 0xfffffffe never equals kWakeToken.
  return (static_cast<uint64_t>(generation) << 32) | (static_cast<uint64_t>(index) + 1);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Ring>> Ring::Create(const Options& options) {
  std::unique_ptr<Ring> ring(new Ring());
  io_uring_params params;
  std::memset(&params, 0, sizeof(params));
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
                 IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
  params.cq_entries = options.cq_entries;
  int rc = io_uring_queue_init_params(options.sq_entries, &ring->ring_, &params);
  if (rc < 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "io_uring_queue_init with SINGLE_ISSUER|DEFER_TASKRUN failed: %s "
        "(ringlet needs Linux 6.1 or newer with io_uring enabled)",
        std::strerror(-rc)));
  }
  ring->initialised_ = true;
  constexpr uint32_t kNeeded = IORING_FEAT_NODROP | IORING_FEAT_EXT_ARG | IORING_FEAT_FAST_POLL;
  if ((params.features & kNeeded) != kNeeded) {
    return absl::FailedPreconditionError(
        "this kernel's io_uring lacks NODROP, EXT_ARG or FAST_POLL; ringlet needs Linux 6.1+");
  }
  return ring;
}

Ring::~Ring() {
  if (initialised_) io_uring_queue_exit(&ring_);
}

io_uring_sqe* Ring::GetSqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) {
    // The submission queue is full: submit what is queued and retry.
    int rc = io_uring_submit(&ring_);
    if (rc < 0) LOG_ERROR("io_uring_submit while draining a full SQ: %s", std::strerror(-rc));
    sqe = io_uring_get_sqe(&ring_);
    CHECK(sqe != nullptr);
  }
  std::memset(sqe, 0, sizeof(*sqe));
  return sqe;
}

io_uring_sqe* Ring::Prepare(RingClient* client, uint32_t op, OpToken* token) {
  uint32_t index;
  if (!free_slots_.empty()) {
    index = free_slots_.back();
    free_slots_.pop_back();
  } else {
    index = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& slot = slots_[index];
  DCHECK(!slot.in_use);
  slot.client = client;
  slot.op = op;
  slot.in_use = true;
  uint64_t user_data = EncodeToken(index, slot.generation);
  if (token != nullptr) *token = user_data;
  io_uring_sqe* sqe = GetSqe();
  io_uring_sqe_set_data64(sqe, user_data);
  return sqe;
}

io_uring_sqe* Ring::PrepareUntracked() {
  io_uring_sqe* sqe = GetSqe();
  io_uring_sqe_set_data64(sqe, kIgnoredToken);
  return sqe;
}

void Ring::CancelOp(OpToken token) {
  io_uring_sqe* sqe = PrepareUntracked();
  io_uring_prep_cancel64(sqe, token, 0);
  io_uring_sqe_set_data64(sqe, kIgnoredToken);
}

absl::Status Ring::SubmitAndWait(bool wait, absl::Time deadline) {
  int rc;
  if (!wait) {
    rc = io_uring_submit_and_get_events(&ring_);
  } else if (deadline == absl::InfiniteFuture()) {
    io_uring_cqe* cqe = nullptr;
    rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, nullptr, nullptr);
  } else {
    absl::Duration left = deadline - absl::Now();
    if (left < absl::ZeroDuration()) left = absl::ZeroDuration();
    __kernel_timespec ts;
    ts.tv_sec = absl::ToInt64Seconds(left);
    ts.tv_nsec = absl::ToInt64Nanoseconds(left - absl::Seconds(ts.tv_sec));
    io_uring_cqe* cqe = nullptr;
    rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
  }
  if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
    return absl::InternalError(absl::StrFormat("io_uring_enter: %s", std::strerror(-rc)));
  }
  return absl::OkStatus();
}

int Ring::DispatchCompletions() {
  int delivered = 0;
  io_uring_cqe* cqe;
  // Completions are consumed one at a time (not in a batch) because an owner
  // may prepare new operations, or free itself, while handling one.
  while (io_uring_peek_cqe(&ring_, &cqe) == 0) {
    uint64_t user_data = io_uring_cqe_get_data64(cqe);
    Completion completion{0, cqe->res, cqe->flags};
    io_uring_cqe_seen(&ring_, cqe);
    if (user_data == kIgnoredToken) continue;
    if (user_data == kWakeToken) {
      ++wakeups_received_;
      continue;
    }
    uint32_t index = static_cast<uint32_t>(user_data & 0xffffffffu) - 1;
    uint32_t generation = static_cast<uint32_t>(user_data >> 32);
    if (index >= slots_.size() || !slots_[index].in_use ||
        slots_[index].generation != generation) {
      ++stale_completions_;
      LOG_WARNING("stale io_uring completion (slot %u, res %d) dropped", index, cqe->res);
      continue;
    }
    Slot& slot = slots_[index];
    RingClient* client = slot.client;
    completion.op = slot.op;
    if (!completion.more()) {
      // Final completion: the slot is free before the owner runs, so the
      // owner may immediately prepare a new operation (which may reuse it).
      slot.in_use = false;
      slot.client = nullptr;
      ++slot.generation;
      free_slots_.push_back(index);
    }
    client->OnCompletion(completion);
    ++delivered;
  }
  return delivered;
}

}  // namespace ringlet
