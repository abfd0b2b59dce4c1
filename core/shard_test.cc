#include "core/shard.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"

namespace ringlet {
namespace {

constexpr uint32_t kPing = 1;

ShardGroup::Options TestOptions(uint32_t shards, WakeMode mode) {
  ShardGroup::Options options;
  options.shard_count = shards;
  options.mailbox_depth = 64;
  options.shard.ring = Ring::Options{.sq_entries = 64, .cq_entries = 256};
  options.shard.recv_buffer_count = 16;
  options.shard.recv_buffer_bytes = 1024;
  options.shard.wake_mode = mode;
  options.shard.pin_to_core = false;
  return options;
}

class ShardWakeTest : public ::testing::TestWithParam<WakeMode> {};

// Two shards bounce a counter back and forth. Each hop finds the receiver
// asleep (it has nothing else to do), so every hop exercises the wake-up.
TEST_P(ShardWakeTest, PingPongAcrossShardsWakesSleepers) {
  constexpr uint64_t kHops = 2000;
  ShardGroup group(TestOptions(2, GetParam()));
  std::atomic<uint64_t> last{0};
  ASSERT_TRUE(group
                  .Start([&](Shard& shard) {
                    shard.SetMessageHandler(kPing, [&, s = &shard](ShardId from, MailMessage& m) {
                      last.store(m.value);
                      if (m.value < kHops) s->mailbox().Post(from, MailMessage{kPing, m.value + 1});
                    });
                    if (shard.id() == ShardId(0)) shard.mailbox().Post(ShardId(1), MailMessage{kPing, 1});
                    return absl::OkStatus();
                  })
                  .ok());
  absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (last.load() < kHops && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(5));
  EXPECT_EQ(last.load(), kHops);
  group.RequestStop();
  group.Join();
}

INSTANTIATE_TEST_SUITE_P(BothWakeModes, ShardWakeTest,
                         ::testing::Values(WakeMode::kMsgRing, WakeMode::kEventfd));

// One registry of mailbox message types per shard: a second handler for a
// type stops the process instead of silently taking the first one's mail.
TEST(ShardDeathTest, DuplicateMessageTypeIsRefused) {
  EXPECT_DEATH(
      {
        ShardGroup group(TestOptions(1, WakeMode::kMsgRing));
        absl::Status status = group.Start([](Shard& shard) {
          shard.SetMessageHandler(kPing, [](ShardId, MailMessage&) {});
          shard.SetMessageHandler(kPing, [](ShardId, MailMessage&) {});
          return absl::OkStatus();
        });
        group.RequestStop();
        group.Join();
      },
      "registered twice");
}

TEST(ShardTest, TimersRunOnTheShardThread) {
  ShardGroup group(TestOptions(1, WakeMode::kMsgRing));
  std::atomic<bool> fired{false};
  ASSERT_TRUE(group
                  .Start([&](Shard& shard) {
                    shard.timers().Add(shard.now() + absl::Milliseconds(20), [&, s = &shard] {
                      EXPECT_TRUE(s->OnShardThread());
                      fired = true;
                    });
                    return absl::OkStatus();
                  })
                  .ok());
  absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (!fired && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(2));
  EXPECT_TRUE(fired);
  group.RequestStop();
  group.Join();
}

// A service that needs a few loop turns (here: a timer) to finish stopping.
class SlowService : public ShardService {
 public:
  SlowService(Shard* shard, std::atomic<int>* stopped) : shard_(shard), stopped_(stopped) {}
  void Stop() override {
    shard_->timers().Add(shard_->now() + absl::Milliseconds(30), [this] {
      idle_ = true;
      stopped_->fetch_add(1);
    });
  }
  bool Idle() const override { return idle_; }

 private:
  Shard* shard_;
  std::atomic<int>* stopped_;
  bool idle_ = false;
};

TEST(ShardTest, StopWaitsForServicesToBecomeIdle) {
  ShardGroup group(TestOptions(2, WakeMode::kMsgRing));
  std::atomic<int> stopped{0};
  ASSERT_TRUE(group
                  .Start([&](Shard& shard) {
                    shard.AddService(std::make_unique<SlowService>(&shard, &stopped));
                    return absl::OkStatus();
                  })
                  .ok());
  group.RequestStop();
  group.Join();
  EXPECT_EQ(stopped.load(), 2);
}

TEST(ShardTest, FailedInitStopsEveryShardAndReportsWhich) {
  ShardGroup group(TestOptions(2, WakeMode::kEventfd));
  absl::Status status = group.Start([](Shard& shard) {
    if (shard.id() == ShardId(1)) return absl::InvalidArgumentError("bad config");
    return absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("shard 1"), std::string::npos);
}

}  // namespace
}  // namespace ringlet
