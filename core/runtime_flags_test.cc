#include "core/runtime_flags.h"

#include "absl/flags/flag.h"
#include "core/log.h"
#include "gtest/gtest.h"

ABSL_FLAG(std::vector<std::string>, test_list, {}, "A list flag for the test.");

namespace ringlet {
namespace {

TEST(RuntimeFlagsTest, DefaultsAreValid) {
  auto options = ShardGroupOptionsFromFlags();
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_GE(options->shard_count, 1u);
}

TEST(RuntimeFlagsTest, BadValuesNameTheFlag) {
  absl::SetFlag(&FLAGS_recv_buffer_count, 1000);
  auto options = ShardGroupOptionsFromFlags();
  EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(options.status().message().find("--recv_buffer_count"), std::string::npos);
  absl::SetFlag(&FLAGS_recv_buffer_count, 4096);

  absl::SetFlag(&FLAGS_mailbox_wake, std::string("pigeon"));
  EXPECT_FALSE(ShardGroupOptionsFromFlags().ok());
  absl::SetFlag(&FLAGS_mailbox_wake, std::string("eventfd"));
  EXPECT_EQ(ShardGroupOptionsFromFlags()->shard.wake_mode, WakeMode::kEventfd);
}

TEST(RuntimeFlagsTest, RepeatedListFlagsCollectEveryValue) {
  std::vector<std::string> args = {"prog", "--test-list=a", "--test_list", "b,c", "--test-list=d"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  ParseCommandLine(static_cast<int>(argv.size()), argv.data(), "test");
  EXPECT_EQ(absl::GetFlag(FLAGS_test_list), (std::vector<std::string>{"a", "b", "c", "d"}));
}

TEST(RuntimeFlagsTest, DashedFlagNamesAreAccepted) {
  std::vector<std::string> args = {"prog", "--mailbox-depth=64", "--log-level=warning", "rest"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  auto positional = ParseCommandLine(static_cast<int>(argv.size()), argv.data(), "test");
  EXPECT_EQ(absl::GetFlag(FLAGS_mailbox_depth), 64u);
  EXPECT_EQ(GetLogLevel(), LogLevel::kWarning);
  ASSERT_EQ(positional.size(), 2u);
  EXPECT_EQ(positional[1], "rest");
}

}  // namespace
}  // namespace ringlet
