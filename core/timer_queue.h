#pragma once

// TimerQueue: the shard's one-shot timers (idle timeouts, retries, shutdown
// deadlines). A min-heap of deadlines with lazy cancellation. The shard's
// loop asks for NextDeadline() and passes it as the timeout of its one
// submit-and-wait per turn, so thousands of timers cost no ring operations.
//
// Shard-local: created, used and destroyed by one shard thread.
// Limits: one heap entry per live or cancelled-but-not-yet-popped timer;
// cancelled entries are dropped when they reach the top or when they make up
// more than half of the heap (Compact).

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"

namespace ringlet {

using TimerId = uint64_t;
inline constexpr TimerId kNoTimer = 0;

class TimerQueue {
 public:
  using Callback = absl::AnyInvocable<void()>;

  // Schedules `callback` to run at or after `deadline`. Returns an id for
  // Cancel(); never kNoTimer.
  TimerId Add(absl::Time deadline, Callback callback);

  // Cancels a pending timer. Returns false if it already ran or was
  // cancelled (both are fine to call).
  bool Cancel(TimerId id);

  // Runs every timer whose deadline is <= now, in deadline order. A callback
  // may add or cancel timers. Returns how many ran.
  int RunExpired(absl::Time now);

  // Returns the earliest pending deadline, or absl::InfiniteFuture().
  absl::Time NextDeadline();

  size_t size() const { return callbacks_.size(); }

 private:
  struct Entry {
    absl::Time deadline;
    TimerId id;
  };
  static bool Later(const Entry& a, const Entry& b) {
    return a.deadline > b.deadline || (a.deadline == b.deadline && a.id > b.id);
  }
  void PopCancelled();
  void Compact();

  std::vector<Entry> heap_;
  absl::flat_hash_map<TimerId, Callback> callbacks_;
  TimerId next_id_ = 1;
};

}  // namespace ringlet
