#include "bench/xmpp/load_stats.h"

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ringlet::bench {

size_t LatencyHistogram::Index(uint64_t value) {
  if (value < kExactBelow) return static_cast<size_t>(value);
  const int top = 63 - std::countl_zero(value);  // >= 6
  const int shift = top - kSubBits;              // >= 1
  const uint64_t sub = (value >> shift) - (uint64_t{1} << kSubBits);  // [0, 32)
  return kExactBelow + static_cast<size_t>(shift - 1) * (size_t{1} << kSubBits) +
         static_cast<size_t>(sub);
}

uint64_t LatencyHistogram::Middle(size_t index) {
  if (index < kExactBelow) return index;
  const size_t rest = index - kExactBelow;
  const int shift = static_cast<int>(rest >> kSubBits) + 1;
  const uint64_t lead = (uint64_t{1} << kSubBits) + (rest & ((size_t{1} << kSubBits) - 1));
  return (lead << shift) + ((uint64_t{1} << shift) >> 1);
}

void LatencyHistogram::Record(uint64_t value_ns) {
  const uint64_t clamp = (uint64_t{1} << kMaxBit) - 1;
  ++counts_[Index(value_ns < clamp ? value_ns : clamp)];
  ++count_;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
}

uint64_t LatencyHistogram::Percentile(double quantile) const {
  if (count_ == 0) return 0;
  uint64_t rank = static_cast<uint64_t>(quantile * static_cast<double>(count_));
  if (rank >= count_) rank = count_ - 1;
  uint64_t below = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    below += counts_[i];
    if (below > rank) return Middle(i);
  }
  return Middle(kBuckets - 1);
}

int64_t MonotonicNanoseconds() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

double SelfCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
}

double ProcessCpuSeconds(int pid) {
  if (pid <= 0) return -1;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return -1;
  // The command name may hold spaces: fields are counted after its ')'.
  const size_t paren = line.rfind(')');
  if (paren == std::string::npos || paren + 2 > line.size()) return -1;
  std::istringstream fields(line.substr(paren + 2));
  std::string field;
  unsigned long long user_ticks = 0;
  unsigned long long system_ticks = 0;
  // Field 3 is the state; utime and stime are fields 14 and 15.
  for (int number = 3; number <= 15 && (fields >> field); ++number) {
    if (number == 14) user_ticks = std::strtoull(field.c_str(), nullptr, 10);
    if (number == 15) system_ticks = std::strtoull(field.c_str(), nullptr, 10);
  }
  return static_cast<double>(user_ticks + system_ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

int64_t ProcessRssKiB(int pid) {
  if (pid <= 0) return -1;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoll(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

}  // namespace ringlet::bench
