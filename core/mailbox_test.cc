#include "core/mailbox.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace ringlet {
namespace {

class Bytes : public MailPayload {
 public:
  explicit Bytes(std::string text) : text(std::move(text)) {}
  std::string text;
};

TEST(SpscQueueTest, StagedIsInvisibleUntilPublished) {
  SpscQueue<int> queue(4);
  int v = 1;
  EXPECT_TRUE(queue.Stage(v));
  int out = 0;
  EXPECT_FALSE(queue.Pop(&out));
  queue.Publish();
  EXPECT_TRUE(queue.Pop(&out));
  EXPECT_EQ(out, 1);
}

TEST(SpscQueueTest, FullRingRefusesUntilReleased) {
  SpscQueue<int> queue(2);
  int a = 1, b = 2, c = 3;
  EXPECT_TRUE(queue.Stage(a));
  EXPECT_TRUE(queue.Stage(b));
  EXPECT_FALSE(queue.Stage(c));
  queue.Publish();
  int out;
  EXPECT_TRUE(queue.Pop(&out));
  EXPECT_FALSE(queue.Stage(c));  // popped but not released yet
  queue.Release();
  EXPECT_TRUE(queue.Stage(c));
}

TEST(MailboxTest, PostFlushDrainMovesPayloadWithoutCopy) {
  Mailbox mailbox(2, 4);
  int wakes = 0;
  MailboxPort a(&mailbox, ShardId(0), [&](ShardId) { ++wakes; });
  MailboxPort b(&mailbox, ShardId(1), [&](ShardId) { ++wakes; });
  auto payload = std::make_unique<Bytes>("hello");
  const Bytes* address = payload.get();
  EXPECT_TRUE(a.Post(ShardId(1), MailMessage{7, 42, std::move(payload)}));
  // Nothing is visible before the producer's end of turn.
  EXPECT_EQ(b.Drain([](ShardId, MailMessage&) { FAIL(); }), 0u);
  a.Flush();
  EXPECT_EQ(wakes, 0);  // b never said it was sleeping
  size_t n = b.Drain([&](ShardId from, MailMessage& m) {
    EXPECT_EQ(from, ShardId(0));
    EXPECT_EQ(m.type, 7u);
    EXPECT_EQ(m.value, 42u);
    EXPECT_EQ(m.payload.get(), address);
    EXPECT_EQ(static_cast<Bytes*>(m.payload.get())->text, "hello");
  });
  EXPECT_EQ(n, 1u);
}

TEST(MailboxTest, WakesOnlyASleepingConsumerAndOnlyOnce) {
  Mailbox mailbox(3, 8);
  std::vector<ShardId> woken;
  auto waker = [&](ShardId to) { woken.push_back(to); };
  MailboxPort a(&mailbox, ShardId(0), waker);
  MailboxPort b(&mailbox, ShardId(1), waker);
  MailboxPort c(&mailbox, ShardId(2), waker);
  ASSERT_TRUE(c.PrepareToSleep());
  a.Post(ShardId(2), MailMessage{1});
  a.Post(ShardId(2), MailMessage{2});
  a.Flush();
  b.Post(ShardId(2), MailMessage{3});
  b.Flush();
  ASSERT_EQ(woken.size(), 1u);  // one wake-up for two producers, five messages
  EXPECT_EQ(woken[0], ShardId(2));
  // Messages are pending: the consumer must not go to sleep.
  EXPECT_FALSE(c.PrepareToSleep());
  EXPECT_EQ(c.Drain([](ShardId, MailMessage&) {}), 3u);
  EXPECT_TRUE(c.PrepareToSleep());
  c.Awake();
  a.Post(ShardId(2), MailMessage{4});
  a.Flush();
  EXPECT_EQ(woken.size(), 1u);  // awake consumers are not woken
}

TEST(MailboxTest, OverflowKeepsOrderAndReportsCongestion) {
  Mailbox mailbox(2, 4);
  MailboxPort a(&mailbox, ShardId(0), [](ShardId) {});
  MailboxPort b(&mailbox, ShardId(1), [](ShardId) {});
  int accepted = 0;
  for (uint64_t i = 0; i < 10; ++i) accepted += a.Post(ShardId(1), MailMessage{1, i}) ? 1 : 0;
  EXPECT_EQ(accepted, 4);
  EXPECT_TRUE(a.Congested(ShardId(1)));
  bool drained = false;
  a.OnDrained(ShardId(1), [&] { drained = true; });
  std::vector<uint64_t> got;
  auto collect = [&](ShardId, MailMessage& m) { got.push_back(m.value); };
  while (got.size() < 10) {
    a.Flush();
    b.Drain(collect);
  }
  a.Flush();
  EXPECT_TRUE(drained);
  EXPECT_FALSE(a.Congested(ShardId(1)));
  for (uint64_t i = 0; i < 10; ++i) EXPECT_EQ(got[i], i);
}

// N threads each act as a shard: every thread sends a numbered stream to
// every other thread through small rings (so overflow happens constantly),
// and checks that each stream arrives complete, once, and in order.
TEST(MailboxTest, StressNoLossNoDuplicationFifoUnderOverflow) {
  constexpr uint32_t kShards = 4;
  constexpr uint64_t kPerPair = 200000;
  Mailbox mailbox(kShards, 16);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (uint32_t s = 0; s < kShards; ++s) {
    threads.emplace_back([&, s] {
      MailboxPort port(&mailbox, ShardId(s), [](ShardId) {});
      std::vector<uint64_t> next_send(kShards, 0), next_expect(kShards, 0);
      uint64_t received = 0;
      const uint64_t expected = kPerPair * (kShards - 1);
      while (received < expected || port.overflow_size() > 0 ||
             std::any_of(next_send.begin(), next_send.end(),
                         [&](uint64_t n) { return n < kPerPair; })) {
        for (uint32_t t = 0; t < kShards; ++t) {
          if (t == s) {
            next_send[t] = kPerPair;
            continue;
          }
          // Respect back-pressure loosely: keep posting into overflow up to
          // a bound, as a connection that stops reading would.
          for (int k = 0; k < 32 && next_send[t] < kPerPair && port.overflow_size() < 256; ++k) {
            port.Post(ShardId(t), MailMessage{1, next_send[t]++});
          }
        }
        port.Flush();
        received += port.Drain([&](ShardId from, MailMessage& m) {
          if (m.value != next_expect[from.value()]) failures.fetch_add(1);
          next_expect[from.value()] = m.value + 1;
        });
      }
      for (uint32_t t = 0; t < kShards; ++t) {
        if (t != s && next_expect[t] != kPerPair) failures.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace ringlet
