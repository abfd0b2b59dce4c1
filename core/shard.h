#pragma once

// Shard: one thread, pinned to one core, running one loop over its own
// io_uring ring (docs/architecture.md, "Shards"). ShardGroup starts N of
// them around one Mailbox and stops them together.
//
// A shard owns its Ring, its provided receive buffers, its MailboxPort, its
// TimerQueue, and the services its init function gave it (listeners,
// connection tables, protocol state). All of these are touched only by the
// shard's thread; the only shared memory is the Mailbox.
//
// One loop turn:
//   1. run expired timers;
//   2. drain every inbound mailbox ring and dispatch each message by type;
//   3. run the end-of-turn work objects asked for (send flushes, re-arms),
//      then the tasks queued with RunAfterTurnWork (deferred frees);
//   4. flush the mailbox port (publish, wake sleeping targets);
//   5. one io_uring_enter: submit this turn's SQEs and, if there is nothing
//      else to do, sleep until a completion, a wake-up or the next timer;
//   6. dispatch completions.
// Step 5 sleeps only after PrepareToSleep() has declared it to producers.
//
// Stop: RequestStop() (any thread) sets a flag and wakes the shard through
// its eventfd. The shard then calls Stop() on each service, keeps looping
// until every service reports Idle() and no operation of theirs is in
// flight, and exits; past `shutdown_timeout` it logs what was left and exits.

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/buffer_ring.h"
#include "core/mailbox.h"
#include "core/ring.h"
#include "core/shard_id.h"
#include "core/timer_queue.h"

namespace ringlet {

// How a producer wakes a sleeping shard (see bench/mailbox_benchmark.cc for
// the measurement that chose the default).
enum class WakeMode { kMsgRing, kEventfd };

// Something a shard owns and stops: a listener, a connection table, ...
class ShardService {
 public:
  virtual ~ShardService() = default;
  // Begins an orderly stop: stop accepting, close connections.
  virtual void Stop() = 0;
  // True once the service has nothing left in flight.
  virtual bool Idle() const = 0;
};

// Work that must run once at the end of the loop turn in which it was
// scheduled (e.g. a connection's send flush). An object must not be
// destroyed while it is scheduled: free it with Shard::RunAfterTurnWork().
class TurnWork {
 public:
  virtual void RunTurnWork() = 0;

 protected:
  ~TurnWork() = default;
  friend class Shard;
  bool turn_work_scheduled_ = false;
};

struct ShardOptions {
  Ring::Options ring;
  uint32_t recv_buffer_count = 1024;
  uint32_t recv_buffer_bytes = 4096;
  WakeMode wake_mode = WakeMode::kMsgRing;
  bool pin_to_core = true;
  absl::Duration shutdown_timeout = absl::Seconds(5);
};

class ShardGroup;

class Shard final : public RingClient {
 public:
  using MessageHandler = absl::AnyInvocable<void(ShardId from, MailMessage& message)>;

  ShardId id() const { return id_; }
  uint32_t shard_count() const;
  Ring& ring() { return *ring_; }
  BufferRing& recv_buffers() { return *recv_buffers_; }
  MailboxPort& mailbox() { return *port_; }
  TimerQueue& timers() { return timers_; }
  // The time at the start of the current loop turn.
  absl::Time now() const { return now_; }
  bool stopping() const { return stopping_; }

  // Routes mailbox messages of `type` to `handler`. Types are chosen per
  // layer: core uses 0-15, net 16-31, protocols 32 and up (xmpp: the
  // router 32-39, the admin service 40-47). A type registered twice on one
  // shard is a wiring bug: CHECK failure.
  void SetMessageHandler(uint32_t type, MessageHandler handler);

  // Gives the shard a service to own, stop and destroy (in reverse order).
  ShardService* AddService(std::unique_ptr<ShardService> service);

  // Schedules `work` to run at the end of this loop turn (once, however
  // often it is scheduled). `work` must stay alive until it has run.
  void ScheduleTurnWork(TurnWork* work);

  // Runs `task` once this turn's work has all run (e.g. freeing an object
  // that may still be in this turn's work list). Tasks queued while the work
  // list runs run in the same turn; tasks queued later run in the next.
  void RunAfterTurnWork(absl::AnyInvocable<void()> task);

  // Returns true if called on this shard's thread.
  bool OnShardThread() const { return std::this_thread::get_id() == thread_id_; }

  // Turns of the loop so far (for tests and metrics).
  uint64_t turns() const { return turns_; }

  void OnCompletion(const Completion& completion) override;

 private:
  friend class ShardGroup;
  Shard(ShardGroup* group, ShardId id, const ShardOptions& options);
  ~Shard();
  absl::Status Init(Mailbox* mailbox, int event_fd);
  void Wake(ShardId target);
  void ArmEventfdRead();
  void Run();
  bool Quiescent() const;

  ShardGroup* const group_;
  const ShardId id_;
  const ShardOptions options_;
  std::thread::id thread_id_;
  std::unique_ptr<Ring> ring_;
  std::unique_ptr<BufferRing> recv_buffers_;
  std::unique_ptr<MailboxPort> port_;
  TimerQueue timers_;
  std::vector<MessageHandler> handlers_;
  std::vector<std::unique_ptr<ShardService>> services_;
  std::vector<TurnWork*> turn_work_;
  std::vector<TurnWork*> turn_work_running_;
  std::vector<absl::AnyInvocable<void()>> after_turn_work_;
  int event_fd_ = -1;
  uint64_t event_value_ = 0;
  bool event_read_armed_ = false;
  absl::Time now_;
  bool stopping_ = false;
  absl::Time stop_deadline_ = absl::InfiniteFuture();
  uint64_t turns_ = 0;
};

// Starts, runs and stops a set of shards.
class ShardGroup {
 public:
  struct Options {
    uint32_t shard_count = 1;
    uint32_t mailbox_depth = 4096;
    ShardOptions shard;
  };
  // Runs on each shard's thread, before its loop starts; sets up its services.
  using InitFunction = absl::AnyInvocable<absl::Status(Shard& shard)>;

  explicit ShardGroup(const Options& options);
  ~ShardGroup();

  // Starts the threads, runs `init` on every shard and returns once all are
  // running, or the first error (after stopping the others).
  absl::Status Start(InitFunction init);

  // Asks every shard to stop. Any thread; idempotent.
  void RequestStop();

  // Waits for every shard thread to exit.
  void Join();

  uint32_t shard_count() const { return options_.shard_count; }
  Mailbox& mailbox() { return *mailbox_; }

 private:
  friend class Shard;
  void ThreadMain(uint32_t index);

  const Options options_;
  std::unique_ptr<Mailbox> mailbox_;
  std::vector<std::thread> threads_;
  std::vector<Shard*> shards_;
  // Ring and eventfd descriptors of each shard, written before the start
  // barrier and read-only afterwards.
  std::vector<int> ring_fds_;
  std::vector<int> event_fds_;
  std::atomic<bool> stop_requested_{false};
  InitFunction init_;
  // Start-up barrier state (used only during Start()).
  struct StartState;
  std::unique_ptr<StartState> start_;
};

}  // namespace ringlet
