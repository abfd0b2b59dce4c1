#include "core/mailbox.h"

#include <utility>

#include "core/check.h"

namespace ringlet {

Mailbox::Mailbox(uint32_t shard_count, uint32_t depth)
    : shard_count_(shard_count), depth_(depth), sleeping_(new PaddedFlag[shard_count]) {
  CHECK(shard_count >= 1);
  rings_.reserve(static_cast<size_t>(shard_count) * shard_count);
  for (uint32_t i = 0; i < shard_count * shard_count; ++i) {
    rings_.push_back(std::make_unique<SpscQueue<MailMessage>>(depth));
  }
}

MailboxPort::MailboxPort(Mailbox* mailbox, ShardId self, Waker waker)
    : mailbox_(mailbox), self_(self), waker_(std::move(waker)), targets_(mailbox->shard_count()) {}

bool MailboxPort::Post(ShardId to, MailMessage message) {
  Target& target = targets_[to.value()];
  // Once anything is parked, later messages queue behind it to keep FIFO.
  if (target.overflow.empty() && mailbox_->Ring(self_, to).Stage(message)) {
    target.staged = true;
    return true;
  }
  target.overflow.push_back(std::move(message));
  ++overflow_size_;
  return false;
}

void MailboxPort::OnDrained(ShardId to, absl::AnyInvocable<void()> callback) {
  targets_[to.value()].drained_callbacks.push_back(std::move(callback));
}

void MailboxPort::Flush() {
  bool any_published = false;
  for (uint32_t i = 0; i < targets_.size(); ++i) {
    Target& target = targets_[i];
    ShardId to(i);
    SpscQueue<MailMessage>& ring = mailbox_->Ring(self_, to);
    while (!target.overflow.empty() && ring.Stage(target.overflow.front())) {
      target.overflow.pop_front();
      --overflow_size_;
      target.staged = true;
    }
    if (target.staged) {
      ring.Publish();
      any_published = true;
    }
  }
  if (any_published) {
    // Pairs with the consumer's seq_cst store of its sleeping flag followed
    // by its check of the rings in PrepareToSleep().
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }
  for (uint32_t i = 0; i < targets_.size(); ++i) {
    Target& target = targets_[i];
    ShardId to(i);
    if (target.staged) {
      target.staged = false;
      std::atomic<bool>& sleeping = mailbox_->SleepingFlag(to);
      // exchange(): of several producers, only one sends the wake-up.
      if (to != self_ && sleeping.load(std::memory_order_seq_cst) &&
          sleeping.exchange(false, std::memory_order_seq_cst)) {
        ++wakeups_sent_;
        waker_(to);
      }
    }
    if (target.overflow.empty() && !target.drained_callbacks.empty()) {
      std::vector<absl::AnyInvocable<void()>> callbacks;
      callbacks.swap(target.drained_callbacks);
      for (auto& callback : callbacks) callback();
    }
  }
}

size_t MailboxPort::Drain(absl::FunctionRef<void(ShardId from, MailMessage&)> handler) {
  size_t handled = 0;
  for (uint32_t i = 0; i < targets_.size(); ++i) {
    ShardId from(i);
    SpscQueue<MailMessage>& ring = mailbox_->Ring(from, self_);
    MailMessage message;
    bool popped = false;
    while (ring.Pop(&message)) {
      popped = true;
      handler(from, message);
      message = MailMessage();
      ++handled;
    }
    if (popped) ring.Release();
  }
  return handled;
}

bool MailboxPort::PrepareToSleep() {
  std::atomic<bool>& sleeping = mailbox_->SleepingFlag(self_);
  sleeping.store(true, std::memory_order_seq_cst);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  for (uint32_t i = 0; i < targets_.size(); ++i) {
    if (mailbox_->Ring(ShardId(i), self_).HasPublished()) {
      sleeping.store(false, std::memory_order_relaxed);
      return false;
    }
  }
  return true;
}

void MailboxPort::Awake() {
  mailbox_->SleepingFlag(self_).store(false, std::memory_order_relaxed);
}

}  // namespace ringlet
