#pragma once

// ConnId: a process-wide unique connection id: the accepting shard in the
// top 16 bits, a per-shard counter below. It is kept across a hand-over, so
// logs follow one connection from shard to shard.

#include <cstdint>

namespace ringlet {

class ConnId {
 public:
  constexpr ConnId() = default;
  constexpr explicit ConnId(uint64_t value) : value_(value) {}
  static constexpr ConnId Make(uint32_t shard, uint64_t counter) {
    return ConnId((static_cast<uint64_t>(shard) << 48) | (counter & ((uint64_t{1} << 48) - 1)));
  }
  constexpr uint64_t value() const { return value_; }
  constexpr bool operator==(const ConnId&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, ConnId id) {
    return H::combine(std::move(h), id.value_);
  }

 private:
  uint64_t value_ = 0;
};

}  // namespace ringlet
