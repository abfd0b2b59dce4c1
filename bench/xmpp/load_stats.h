#pragma once

// Measurement helpers for load generators: a latency histogram cheap enough
// for the per-message path, and CPU / memory readings of this process and of
// another one (the server under test) from /proc.
//
// LatencyHistogram is shard-local (one per load-generator shard, merged
// after the shards stop); the /proc readers may run on any thread.
//
// bench/relay keeps an equivalent histogram in latency_histogram.h; it can
// switch to this target (its BUILD is owned elsewhere, see the report of
// issue 5) so that there is one.

#include <array>
#include <bit>
#include <cstdint>
#include <string>

namespace ringlet::bench {

// Log-linear histogram of nanosecond values: values below 64 are exact;
// above, each power of two is split into 32 equal sub-buckets, so a
// percentile is reported within ~3% of the true value. Fixed size
// (~9 KiB), no allocation per Record().
class LatencyHistogram {
 public:
  void Record(uint64_t value_ns);
  void Merge(const LatencyHistogram& other);
  uint64_t count() const { return count_; }
  // Returns the value under which `quantile` (0..1) of the values lie (the
  // middle of its bucket), or 0 when empty.
  uint64_t Percentile(double quantile) const;

 private:
  static constexpr int kSubBits = 5;
  static constexpr uint64_t kExactBelow = uint64_t{64};
  static constexpr int kMaxBit = 40;  // ~18 minutes in ns; larger values clamp
  static constexpr size_t kBuckets =
      kExactBelow + (kMaxBit - kSubBits - 1) * (size_t{1} << kSubBits);
  static size_t Index(uint64_t value);
  static uint64_t Middle(size_t index);

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
};

// Returns CLOCK_MONOTONIC in nanoseconds.
int64_t MonotonicNanoseconds();

// Returns user + system CPU seconds of this process.
double SelfCpuSeconds();

// Returns user + system CPU seconds of process `pid` (from /proc/PID/stat),
// or -1 if it cannot be read.
double ProcessCpuSeconds(int pid);

// Returns the resident set size of `pid` in KiB (VmRSS in /proc/PID/status),
// or -1 if it cannot be read.
int64_t ProcessRssKiB(int pid);

}  // namespace ringlet::bench
