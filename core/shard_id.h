#pragma once

// ShardId: a strong type for shard numbers, so a shard index is never
// confused with a connection id or a count.

#include <cstdint>

namespace ringlet {

class ShardId {
 public:
  constexpr ShardId() = default;
  constexpr explicit ShardId(uint32_t value) : value_(value) {}
  constexpr uint32_t value() const { return value_; }
  constexpr bool operator==(const ShardId&) const = default;

 private:
  uint32_t value_ = 0;
};

}  // namespace ringlet
