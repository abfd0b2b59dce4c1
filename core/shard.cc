#include "core/shard.h"

#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <barrier>
#include <cstring>
#include <utility>

#include "absl/strings/str_format.h"
#include "core/check.h"
#include "core/log.h"

namespace ringlet {
namespace {

// Ops of the shard itself.
constexpr uint32_t kOpEventfdRead = 1;
// Buffer group of the shard's receive buffers.
constexpr uint16_t kRecvBufferGroup = 0;
// How long a shard with parked overflow waits before retrying it.
constexpr absl::Duration kOverflowRetry = absl::Microseconds(100);

}  // namespace

struct ShardGroup::StartState {
  explicit StartState(uint32_t shards)
      : rings_ready(shards), inits_done(shards + 1), loops_done(shards), statuses(shards) {}
  std::barrier<> rings_ready;
  std::barrier<> inits_done;
  std::barrier<> loops_done;
  std::vector<absl::Status> statuses;
};

Shard::Shard(ShardGroup* group, ShardId id, const ShardOptions& options)
    : group_(group), id_(id), options_(options), now_(absl::Now()) {}

Shard::~Shard() {
  // Deferred frees and services go first (they may own buffers and ring
  // operations), services in reverse order of creation.
  after_turn_work_.clear();
  while (!services_.empty()) services_.pop_back();
  recv_buffers_.reset();
  ring_.reset();
}

uint32_t Shard::shard_count() const { return group_->shard_count(); }

absl::Status Shard::Init(Mailbox* mailbox, int event_fd) {
  event_fd_ = event_fd;
  thread_id_ = std::this_thread::get_id();
  SetThreadLogName(absl::StrFormat("s%u", id_.value()));
  if (options_.pin_to_core) {
    unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(id_.value() % cores, &set);
    int rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
    if (rc != 0) LOG_WARNING("could not pin shard to core %u: %s", id_.value() % cores, strerror(rc));
  }
  auto ring = Ring::Create(options_.ring);
  if (!ring.ok()) return ring.status();
  ring_ = std::move(*ring);
  auto buffers = BufferRing::Create(ring_.get(), kRecvBufferGroup, options_.recv_buffer_count,
                                    options_.recv_buffer_bytes);
  if (!buffers.ok()) return buffers.status();
  recv_buffers_ = std::move(*buffers);
  port_ = std::make_unique<MailboxPort>(mailbox, id_, [this](ShardId target) { Wake(target); });
  ArmEventfdRead();
  return absl::OkStatus();
}

void Shard::SetMessageHandler(uint32_t type, MessageHandler handler) {
  if (handlers_.size() <= type) handlers_.resize(type + 1);
  // Two components claiming one type would each receive the other's
  // messages: a wiring bug, stopped at start-up.
  CHECK_MSG(!handlers_[type],
            absl::StrFormat("mailbox message type %u registered twice on shard %u", type,
                            id_.value()).c_str());
  handlers_[type] = std::move(handler);
}

ShardService* Shard::AddService(std::unique_ptr<ShardService> service) {
  services_.push_back(std::move(service));
  return services_.back().get();
}

void Shard::ScheduleTurnWork(TurnWork* work) {
  DCHECK(OnShardThread());
  if (work->turn_work_scheduled_) return;
  work->turn_work_scheduled_ = true;
  turn_work_.push_back(work);
}

void Shard::RunAfterTurnWork(absl::AnyInvocable<void()> task) {
  after_turn_work_.push_back(std::move(task));
}

void Shard::Wake(ShardId target) {
  if (options_.wake_mode == WakeMode::kMsgRing) {
    // The wake-up is an SQE on *our* ring that posts a CQE to the target's
    // ring; it is submitted with the rest of this turn. The copy of the
    // completion posted to our own ring is ignored.
    io_uring_sqe* sqe = ring_->PrepareUntracked();
    io_uring_prep_msg_ring(sqe, group_->ring_fds_[target.value()], 0, Ring::kWakeToken, 0);
    io_uring_sqe_set_data64(sqe, Ring::kIgnoredToken);
  } else {
    uint64_t one = 1;
    ssize_t n = write(group_->event_fds_[target.value()], &one, sizeof(one));
    if (n != sizeof(one) && errno != EAGAIN) {
      LOG_ERROR("eventfd wake of shard %u failed: %s", target.value(), strerror(errno));
    }
  }
}

void Shard::ArmEventfdRead() {
  io_uring_sqe* sqe = ring_->Prepare(this, kOpEventfdRead);
  io_uring_prep_read(sqe, event_fd_, &event_value_, sizeof(event_value_), 0);
  event_read_armed_ = true;
}

void Shard::OnCompletion(const Completion& completion) {
  CHECK(completion.op == kOpEventfdRead);
  event_read_armed_ = false;
  if (completion.result < 0 && completion.result != -EAGAIN && completion.result != -EINTR) {
    LOG_ERROR("eventfd read failed: %s", strerror(-completion.result));
  }
  ArmEventfdRead();
}

bool Shard::Quiescent() const {
  for (const auto& service : services_) {
    if (!service->Idle()) return false;
  }
  // Only the shard's own eventfd read may remain.
  return ring_->ops_in_flight() <= (event_read_armed_ ? 1u : 0u) && port_->overflow_size() == 0 &&
         turn_work_.empty() && after_turn_work_.empty();
}

void Shard::Run() {
  while (true) {
    now_ = absl::Now();
    ++turns_;
    timers_.RunExpired(now_);

    port_->Drain([this](ShardId from, MailMessage& message) {
      if (message.type < handlers_.size() && handlers_[message.type]) {
        handlers_[message.type](from, message);
      } else {
        LOG_ERROR("mailbox message of unknown type %u from shard %u dropped", message.type,
                  from.value());
      }
    });

    // Turn work may schedule more turn work (for the next round of this
    // loop, not this one).
    turn_work_running_.swap(turn_work_);
    for (TurnWork* work : turn_work_running_) {
      work->turn_work_scheduled_ = false;
      work->RunTurnWork();
    }
    turn_work_running_.clear();
    for (size_t i = 0; i < after_turn_work_.size(); ++i) after_turn_work_[i]();
    after_turn_work_.clear();

    port_->Flush();

    if (!stopping_ && group_->stop_requested_.load(std::memory_order_acquire)) {
      stopping_ = true;
      stop_deadline_ = now_ + options_.shutdown_timeout;
      LOG_INFO("stopping");
      for (auto& service : services_) service->Stop();
      continue;  // run the turn again so that the stop's work is flushed
    }
    if (stopping_ && Quiescent()) break;
    if (stopping_ && now_ >= stop_deadline_) {
      LOG_WARNING("shutdown timeout: %u ring operations still in flight, leaving anyway",
                  static_cast<unsigned>(ring_->ops_in_flight()));
      break;
    }

    bool wait = turn_work_.empty() && after_turn_work_.empty();
    absl::Time deadline = std::min(timers_.NextDeadline(), stop_deadline_);
    if (port_->overflow_size() > 0) deadline = std::min(deadline, now_ + kOverflowRetry);
    bool declared = false;
    if (wait) {
      declared = port_->PrepareToSleep();
      wait = declared;
    }
    absl::Status status = ring_->SubmitAndWait(wait, deadline);
    // The wait may have lasted long: completions must see the time they
    // arrive at, not the time the turn started (an idle timer armed from a
    // stale clock would fire at once).
    now_ = absl::Now();
    if (declared) port_->Awake();
    if (!status.ok()) LOG_ERROR("%s", status.ToString());
    ring_->DispatchCompletions();
  }
  LOG_INFO("stopped after %u turns", static_cast<unsigned>(turns_));
}

ShardGroup::ShardGroup(const Options& options) : options_(options) {
  CHECK(options.shard_count >= 1);
  mailbox_ = std::make_unique<Mailbox>(options.shard_count, options.mailbox_depth);
  shards_.resize(options.shard_count, nullptr);
  ring_fds_.resize(options.shard_count, -1);
  event_fds_.resize(options.shard_count, -1);
}

ShardGroup::~ShardGroup() {
  RequestStop();
  Join();
  for (int fd : event_fds_) {
    if (fd >= 0) close(fd);
  }
}

absl::Status ShardGroup::Start(InitFunction init) {
  CHECK(threads_.empty());
  init_ = std::move(init);
  start_ = std::make_unique<StartState>(options_.shard_count);
  // The group owns the eventfds, so that a wake-up written to a shard that
  // has already exited never lands on a reused descriptor.
  for (uint32_t i = 0; i < options_.shard_count; ++i) {
    event_fds_[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (event_fds_[i] < 0) {
      return absl::InternalError(absl::StrFormat("eventfd: %s", strerror(errno)));
    }
  }
  for (uint32_t i = 0; i < options_.shard_count; ++i) {
    threads_.emplace_back([this, i] { ThreadMain(i); });
  }
  start_->inits_done.arrive_and_wait();
  for (uint32_t i = 0; i < options_.shard_count; ++i) {
    if (!start_->statuses[i].ok()) {
      absl::Status status = start_->statuses[i];
      RequestStop();
      Join();
      return absl::Status(status.code(),
                          absl::StrFormat("shard %u failed to start: %s", i, status.message()));
    }
  }
  return absl::OkStatus();
}

void ShardGroup::ThreadMain(uint32_t index) {
  Shard* shard = new Shard(this, ShardId(index), options_.shard);
  shards_[index] = shard;
  absl::Status status = shard->Init(mailbox_.get(), event_fds_[index]);
  if (status.ok()) ring_fds_[index] = shard->ring().fd();
  // Every shard's ring and eventfd exist before any shard can post or wake.
  start_->rings_ready.arrive_and_wait();
  if (status.ok()) status = init_(*shard);
  start_->statuses[index] = status;
  start_->inits_done.arrive_and_wait();
  if (status.ok()) shard->Run();
  // Rings are destroyed only once every loop has ended, so that no shard
  // sends a MSG_RING wake-up to a ring that is gone.
  start_->loops_done.arrive_and_wait();
  delete shard;
  shards_[index] = nullptr;
}

void ShardGroup::RequestStop() {
  if (stop_requested_.exchange(true)) return;
  for (int fd : event_fds_) {
    if (fd < 0) continue;
    uint64_t one = 1;
    ssize_t n = write(fd, &one, sizeof(one));
    (void)n;
  }
}

void ShardGroup::Join() {
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

}  // namespace ringlet
