#pragma once

// LatencyHistogram: a fixed-size log-linear histogram of nanosecond values
// (32 sub-buckets per power of two, so a reported percentile is within ~3%
// of the true value). Recording is an index computation and an increment:
// no allocation, so it can sit on the per-message path. One per shard;
// merged after the shards have stopped.

#include <array>
#include <bit>
#include <cstdint>

namespace ringlet::relay {

class LatencyHistogram {
 public:
  // Adds one value. Values past ~18 minutes land in the last bucket.
  void Record(uint64_t value_ns) {
    if (value_ns > kValueMax) value_ns = kValueMax;
    ++counts_[BucketOf(value_ns)];
    ++count_;
  }

  void Merge(const LatencyHistogram& other) {
    for (size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
  }

  uint64_t count() const { return count_; }

  // Returns the value below which a fraction `quantile` (0..1) of the
  // recorded values fall (the middle of its bucket), or 0 if empty.
  uint64_t Percentile(double quantile) const {
    if (count_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(quantile * static_cast<double>(count_));
    if (rank >= count_) rank = count_ - 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < kBucketCount; ++i) {
      seen += counts_[i];
      if (seen > rank) return MidpointOf(i);
    }
    return MidpointOf(kBucketCount - 1);
  }

 private:
  static constexpr int kSubBucketBits = 5;  // 32 sub-buckets per power of two
  static constexpr uint64_t kLinearLimit = uint64_t{2} << kSubBucketBits;  // 64: exact below
  static constexpr int kTopBit = 40;
  static constexpr uint64_t kValueMax = (uint64_t{1} << kTopBit) - 1;
  static constexpr size_t kBucketCount =
      kLinearLimit + (kTopBit - kSubBucketBits - 1) * (size_t{1} << kSubBucketBits);

  static size_t BucketOf(uint64_t value) {
    if (value < kLinearLimit) return static_cast<size_t>(value);
    int top_bit = 63 - std::countl_zero(value);
    int shift = top_bit - kSubBucketBits;
    uint64_t top = value >> shift;  // in [32, 64)
    return kLinearLimit + static_cast<size_t>(shift - 1) * (size_t{1} << kSubBucketBits) +
           static_cast<size_t>(top - (uint64_t{1} << kSubBucketBits));
  }

  static uint64_t MidpointOf(size_t bucket) {
    if (bucket < kLinearLimit) return bucket;
    size_t k = bucket - kLinearLimit;
    int shift = static_cast<int>(k >> kSubBucketBits) + 1;
    uint64_t top = (k & ((size_t{1} << kSubBucketBits) - 1)) + (uint64_t{1} << kSubBucketBits);
    return (top << shift) + (uint64_t{1} << shift) / 2;
  }

  std::array<uint64_t, kBucketCount> counts_{};
  uint64_t count_ = 0;
};

}  // namespace ringlet::relay
