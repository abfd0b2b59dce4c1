#include "core/timer_queue.h"

#include <algorithm>
#include <utility>

namespace ringlet {

TimerId TimerQueue::Add(absl::Time deadline, Callback callback) {
  TimerId id = next_id_++;
  callbacks_.emplace(id, std::move(callback));
  heap_.push_back(Entry{deadline, id});
  std::push_heap(heap_.begin(), heap_.end(), Later);
  return id;
}

bool TimerQueue::Cancel(TimerId id) {
  if (callbacks_.erase(id) == 0) return false;
  if (heap_.size() > 64 && heap_.size() > 2 * callbacks_.size()) Compact();
  return true;
}

void TimerQueue::PopCancelled() {
  while (!heap_.empty() && !callbacks_.contains(heap_.front().id)) {
    std::pop_heap(heap_.begin(), heap_.end(), Later);
    heap_.pop_back();
  }
}

void TimerQueue::Compact() {
  heap_.erase(std::remove_if(heap_.begin(), heap_.end(),
                             [this](const Entry& e) { return !callbacks_.contains(e.id); }),
              heap_.end());
  std::make_heap(heap_.begin(), heap_.end(), Later);
}

int TimerQueue::RunExpired(absl::Time now) {
  int ran = 0;
  while (true) {
    PopCancelled();
    if (heap_.empty() || heap_.front().deadline > now) break;
    TimerId id = heap_.front().id;
    std::pop_heap(heap_.begin(), heap_.end(), Later);
    heap_.pop_back();
    auto it = callbacks_.find(id);
    // Move the callback out before running it: it may add or cancel timers,
    // which can rehash the map.
    Callback callback = std::move(it->second);
    callbacks_.erase(it);
    callback();
    ++ran;
  }
  return ran;
}

absl::Time TimerQueue::NextDeadline() {
  PopCancelled();
  return heap_.empty() ? absl::InfiniteFuture() : heap_.front().deadline;
}

}  // namespace ringlet
