#pragma once

// The cross-shard mailbox (docs/architecture.md, "The mailbox").
//
// Mailbox is the process-wide set of N×N bounded SPSC rings, one per ordered
// pair of shards, plus one "about to sleep" flag per shard. It is created
// before the shard threads start and destroyed after they are joined.
//
// MailboxPort is one shard's end of it: shard-local, used only by its shard.
// - Post() never blocks and never drops. When the ring to a shard is full
//   the message is parked in a local overflow list (in order) and Post()
//   reports the target as congested, so the caller can stop reading from the
//   connection that produced the message (back-pressure). OnDrained()
//   registers a callback run once the overflow toward that shard is gone.
// - Flush(), once per loop turn, moves overflow into the rings, publishes
//   everything staged this turn with one store per ring, and wakes each
//   target at most once, and only if that target has said it is about to
//   sleep. A busy shard is never woken: it drains its inbound rings every
//   turn anyway.
// - Drain() pops every published message from every inbound ring.
// - PrepareToSleep()/Awake() bracket the shard's blocking wait; the wake-up
//   itself is delivered by the Waker the shard provides (MSG_RING into the
//   target's ring, or an eventfd the target's ring reads).
//
// Ownership: a message's payload moves through the ring; its bytes are never
// copied. Order: FIFO per (producer, consumer) pair, overflow included.
// Limits: `depth` messages per ring (a power of two); the overflow list is
// bounded by the back-pressure its caller applies, and its size is exposed
// for metrics.

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "core/shard_id.h"
#include "core/spsc_queue.h"

namespace ringlet {

// Owned contents of a message. Subclasses carry stanzas, connections, etc.
class MailPayload {
 public:
  virtual ~MailPayload() = default;
};

struct MailMessage {
  uint32_t type = 0;    // chosen by the sender; dispatched by the receiver
  uint64_t value = 0;   // small inline argument (an id, a count)
  std::unique_ptr<MailPayload> payload;  // may be null
};

class Mailbox {
 public:
  Mailbox(uint32_t shard_count, uint32_t depth);

  uint32_t shard_count() const { return shard_count_; }
  uint32_t depth() const { return depth_; }
  SpscQueue<MailMessage>& Ring(ShardId from, ShardId to) {
    return *rings_[from.value() * shard_count_ + to.value()];
  }
  std::atomic<bool>& SleepingFlag(ShardId shard) { return sleeping_[shard.value()].flag; }

 private:
  struct alignas(kCacheLineBytes) PaddedFlag {
    std::atomic<bool> flag{false};
  };
  const uint32_t shard_count_;
  const uint32_t depth_;
  std::vector<std::unique_ptr<SpscQueue<MailMessage>>> rings_;
  std::unique_ptr<PaddedFlag[]> sleeping_;
};

class MailboxPort {
 public:
  // Wakes a sleeping shard. Called from Flush() on the posting shard.
  using Waker = absl::AnyInvocable<void(ShardId target)>;

  MailboxPort(Mailbox* mailbox, ShardId self, Waker waker);

  ShardId self() const { return self_; }

  // Queues `message` for `to` (which may be this shard). Returns true if it
  // went straight into the ring, false if the target is congested (the
  // message is kept, in order, and sent by a later Flush()).
  bool Post(ShardId to, MailMessage message);

  // True if messages toward `to` are waiting in the local overflow list.
  bool Congested(ShardId to) const { return !targets_[to.value()].overflow.empty(); }

  // Runs `callback` once the overflow toward `to` has drained (immediately
  // at the next Flush() if there is none).
  void OnDrained(ShardId to, absl::AnyInvocable<void()> callback);

  // Publishes this turn's messages and wakes sleeping targets. Once per turn.
  void Flush();

  // Pops every published message from every inbound ring, in ring order,
  // and passes each to `handler`. Returns how many were handled.
  size_t Drain(absl::FunctionRef<void(ShardId from, MailMessage&)> handler);

  // Declares that this shard is about to block. Returns false, and clears
  // the declaration, if an inbound message is already published (the shard
  // must then not block). The seq_cst store and loads pair with the
  // producer's fence in Flush(): one of the two always sees the other.
  bool PrepareToSleep();
  // Clears the sleep declaration after the shard's wait returns.
  void Awake();

  // Messages parked in overflow lists, summed over targets.
  size_t overflow_size() const { return overflow_size_; }
  uint64_t wakeups_sent() const { return wakeups_sent_; }

 private:
  struct Target {
    std::deque<MailMessage> overflow;
    std::vector<absl::AnyInvocable<void()>> drained_callbacks;
    bool staged = false;  // something staged since the last Flush()
  };

  Mailbox* const mailbox_;
  const ShardId self_;
  Waker waker_;
  std::vector<Target> targets_;
  size_t overflow_size_ = 0;
  uint64_t wakeups_sent_ = 0;
};

}  // namespace ringlet
