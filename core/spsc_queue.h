#pragma once

// SpscQueue: a bounded single-producer/single-consumer ring of T, the
// building block of the cross-shard mailbox.
//
// One producer thread calls Stage()/Publish(); one consumer thread calls
// Pop()/Release(); any thread may call SizeApprox(). Producer and consumer
// indices live on separate cache lines, and each side keeps a cached copy of
// the other's index so that a batch costs one shared-line read per side.
//
// Batching: Stage() writes a slot but makes it visible only at Publish(), so
// a producer that stages a whole loop turn's messages publishes them with one
// release store. Likewise the consumer returns slots with one store per batch.
//
// Limits: `capacity` (a power of two) messages in flight; Stage() returns
// false when full and never blocks.

#include <atomic>
#include <cstddef>
#include <memory>
#include <new>
#include <utility>

#include "core/check.h"

namespace ringlet {

inline constexpr size_t kCacheLineBytes = 64;

template <typename T>
class SpscQueue {
 public:
  explicit SpscQueue(size_t capacity) : mask_(capacity - 1), slots_(new T[capacity]) {
    CHECK(capacity >= 2 && (capacity & (capacity - 1)) == 0);
  }

  SpscQueue(const SpscQueue&) = delete;
  SpscQueue& operator=(const SpscQueue&) = delete;

  size_t capacity() const { return mask_ + 1; }

  // Producer: writes `value` into the next free slot without publishing it.
  // Returns false (and leaves `value` untouched) when the ring is full.
  bool Stage(T& value) {
    if (producer_tail_ - producer_cached_head_ > mask_) {
      producer_cached_head_ = head_.load(std::memory_order_acquire);
      if (producer_tail_ - producer_cached_head_ > mask_) return false;
    }
    slots_[producer_tail_ & mask_] = std::move(value);
    ++producer_tail_;
    return true;
  }

  // Producer: makes every staged slot visible to the consumer.
  void Publish() { tail_.store(producer_tail_, std::memory_order_release); }

  // Producer: true if something was staged and not yet published.
  bool HasUnpublished() const {
    return producer_tail_ != tail_.load(std::memory_order_relaxed);
  }

  // Consumer: moves the oldest published message into *out. Returns false if
  // none is visible. Slots are handed back to the producer at Release().
  bool Pop(T* out) {
    if (consumer_head_ == consumer_cached_tail_) {
      consumer_cached_tail_ = tail_.load(std::memory_order_acquire);
      if (consumer_head_ == consumer_cached_tail_) return false;
    }
    *out = std::move(slots_[consumer_head_ & mask_]);
    ++consumer_head_;
    return true;
  }

  // Consumer: returns every popped slot to the producer.
  void Release() { head_.store(consumer_head_, std::memory_order_release); }

  // Any thread: true if the consumer has published messages to read. Used by
  // the consumer's sleep check, so it reads with seq_cst ordering.
  bool HasPublished() const {
    return tail_.load(std::memory_order_seq_cst) != head_.load(std::memory_order_relaxed);
  }

  // Any thread: an estimate of the messages in flight.
  size_t SizeApprox() const {
    return tail_.load(std::memory_order_relaxed) - head_.load(std::memory_order_relaxed);
  }

 private:
  const size_t mask_;
  std::unique_ptr<T[]> slots_;

  // Written by the consumer.
  alignas(kCacheLineBytes) std::atomic<size_t> head_{0};
  // Consumer-private.
  alignas(kCacheLineBytes) size_t consumer_head_ = 0;
  size_t consumer_cached_tail_ = 0;
  // Written by the producer.
  alignas(kCacheLineBytes) std::atomic<size_t> tail_{0};
  // Producer-private.
  alignas(kCacheLineBytes) size_t producer_tail_ = 0;
  size_t producer_cached_head_ = 0;
};

}  // namespace ringlet
