#include "core/timer_queue.h"

#include <vector>

#include "gtest/gtest.h"

namespace ringlet {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1000);

TEST(TimerQueueTest, RunsInDeadlineOrder) {
  TimerQueue timers;
  std::vector<int> order;
  timers.Add(kStart + absl::Seconds(3), [&] { order.push_back(3); });
  timers.Add(kStart + absl::Seconds(1), [&] { order.push_back(1); });
  timers.Add(kStart + absl::Seconds(2), [&] { order.push_back(2); });
  EXPECT_EQ(timers.NextDeadline(), kStart + absl::Seconds(1));
  EXPECT_EQ(timers.RunExpired(kStart + absl::Seconds(2)), 2);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_EQ(timers.RunExpired(kStart + absl::Seconds(10)), 1);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(timers.NextDeadline(), absl::InfiniteFuture());
}

TEST(TimerQueueTest, CancelledTimersDoNotRun) {
  TimerQueue timers;
  int ran = 0;
  TimerId a = timers.Add(kStart, [&] { ++ran; });
  timers.Add(kStart, [&] { ++ran; });
  EXPECT_TRUE(timers.Cancel(a));
  EXPECT_FALSE(timers.Cancel(a));
  EXPECT_EQ(timers.RunExpired(kStart), 1);
  EXPECT_EQ(ran, 1);
}

TEST(TimerQueueTest, CallbacksMayAddAndCancel) {
  TimerQueue timers;
  int ran = 0;
  TimerId victim = timers.Add(kStart + absl::Seconds(1), [&] { ran += 100; });
  timers.Add(kStart, [&] {
    ++ran;
    timers.Cancel(victim);
    timers.Add(kStart, [&] { ++ran; });
  });
  EXPECT_EQ(timers.RunExpired(kStart + absl::Seconds(5)), 2);
  EXPECT_EQ(ran, 2);
}

TEST(TimerQueueTest, CompactsManyCancellations) {
  TimerQueue timers;
  std::vector<TimerId> ids;
  for (int i = 0; i < 10000; ++i) ids.push_back(timers.Add(kStart + absl::Seconds(i), [] {}));
  for (int i = 0; i < 9990; ++i) timers.Cancel(ids[i]);
  EXPECT_EQ(timers.size(), 10u);
  EXPECT_EQ(timers.NextDeadline(), kStart + absl::Seconds(9990));
}

}  // namespace
}  // namespace ringlet
