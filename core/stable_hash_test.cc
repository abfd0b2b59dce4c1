#include "core/stable_hash.h"

#include <array>

#include "gtest/gtest.h"

namespace ringlet {
namespace {

// Pinned values: if these change, every deployed server would move its users
// to different shards on upgrade.
TEST(StableHashTest, ValuesArePinned) {
  static_assert(StableHash("alice@example.org") == 0x37a0322d348ccc9cULL);
  static_assert(StableHash("example.org") == 0xdd92ef3c617d04afULL);
  EXPECT_NE(StableHash("alice@example.org"), StableHash("bob@example.org"));
}

TEST(StableHashTest, SpreadsKeysOverShards) {
  constexpr uint32_t kShards = 8;
  std::array<int, kShards> counts{};
  for (int i = 0; i < 80000; ++i) {
    std::string key = "user" + std::to_string(i) + "@example.org";
    ++counts[HomeShard(key, kShards)];
  }
  for (int count : counts) {
    EXPECT_GT(count, 9000);
    EXPECT_LT(count, 11000);
  }
}

}  // namespace
}  // namespace ringlet
