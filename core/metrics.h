#pragma once

// Metrics: one shard's named counters, gauges and histograms, and the
// snapshots that carry them to whoever reports them (docs/architecture.md,
// "Flags, logs, metrics").
//
// MetricsRegistry is shard-local: created with its shard, written only by
// its shard's thread, so every value is a plain integer (no atomics, no
// locks). Components register their metrics at start-up and keep the
// returned pointer; counting an event is then one add through that pointer,
// with no lookup by name. A metric whose value already lives elsewhere (a
// table's size, a port's overflow) is registered as a sampler: a function
// read only when a snapshot is taken, so it costs nothing per event.
//
// MetricsSnapshot is a copy of one registry's values at one moment (or the
// sum of several): plain data that any thread may own, sent across the
// mailbox by value. Snapshots of several shards merge by name (counters,
// gauges and histogram buckets add up) and render as Prometheus text
// exposition format (format 0.0.4, one `shard` label per shard plus
// shard="all" for the sum) or as a human-readable table.
//
// Names follow Prometheus: [a-zA-Z_:][a-zA-Z0-9_:]*, counters end in
// `_total`, units last (`ringlet_login_latency_us`). Registering a bad or
// duplicate name is a bug of ours and stops the process (CHECK).
//
// Histograms have fixed log-2 buckets: bucket i counts values <= 2^i for
// i < kHistogramBuckets - 1, the last bucket counts the rest (+Inf). With
// microseconds that spans 1 µs .. 2^30 µs (about 18 minutes).
//
// Limits: a registry holds what its shard registered at start-up (dozens of
// metrics); nothing grows per event.

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"

namespace ringlet {

enum class MetricType : uint8_t { kCounter, kGauge, kHistogram };

inline constexpr int kHistogramBuckets = 32;

// Returns the upper bound of histogram bucket `index` (2^index); the last
// bucket has none (callers print it as +Inf).
uint64_t HistogramBucketBound(int index);

// Returns the bucket that `value` falls into.
inline int HistogramBucketIndex(uint64_t value) {
  if (value <= 1) return 0;
  // ceil(log2(value)) = bit width of (value - 1).
  int index = 64 - __builtin_clzll(value - 1);
  return index < kHistogramBuckets - 1 ? index : kHistogramBuckets - 1;
}

// A monotonically increasing count of events.
class Counter {
 public:
  void Increment() { ++value_; }
  void Add(uint64_t amount) { value_ += amount; }
  uint64_t value() const { return value_; }

 private:
  uint64_t value_ = 0;
};

// A value that goes up and down (open sessions, queued bytes).
class Gauge {
 public:
  void Set(int64_t value) { value_ = value; }
  void Add(int64_t amount) { value_ += amount; }
  int64_t value() const { return value_; }

 private:
  int64_t value_ = 0;
};

// A distribution of non-negative values (latencies, sizes) over the fixed
// log-2 buckets above.
class Histogram {
 public:
  void Record(uint64_t value) {
    ++buckets_[HistogramBucketIndex(value)];
    ++count_;
    sum_ += value;
  }
  uint64_t count() const { return count_; }
  uint64_t sum() const { return sum_; }
  uint64_t bucket(int index) const { return buckets_[index]; }

 private:
  uint64_t buckets_[kHistogramBuckets] = {};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
};

// The value of one metric in a snapshot.
struct MetricValue {
  std::string name;
  std::string help;
  MetricType type = MetricType::kCounter;
  // Counters and gauges (a counter's value fits: it never reaches 2^63).
  int64_t value = 0;
  // Histograms only: per-bucket (not cumulative) counts, count and sum.
  std::vector<uint64_t> buckets;
  uint64_t count = 0;
  uint64_t sum = 0;

  bool operator==(const MetricValue&) const = default;
};

// One shard's metrics at one moment, or the sum of several shards'
// (shard == kAllShards). Metrics are sorted by name.
class MetricsSnapshot {
 public:
  static constexpr int kAllShards = -1;

  MetricsSnapshot() = default;
  explicit MetricsSnapshot(int shard) : shard_(shard) {}

  int shard() const { return shard_; }
  const std::vector<MetricValue>& metrics() const { return metrics_; }
  // Returns the metric called `name`, or null.
  const MetricValue* Find(const std::string& name) const;

  // Adds `other` into this snapshot, metric by metric (a metric only one of
  // them has is kept as is). A name with two different types is a bug of
  // ours (CHECK).
  void MergeFrom(const MetricsSnapshot& other);

  // Inserts a value (keeps the order by name). For the registry and tests.
  void Add(MetricValue value);

 private:
  int shard_ = kAllShards;
  std::vector<MetricValue> metrics_;
};

// Returns the sum of `shards` (shard() == kAllShards).
MetricsSnapshot MergeSnapshots(const std::vector<MetricsSnapshot>& shards);

// Renders the snapshots of every shard in Prometheus text format: per
// metric one HELP and TYPE line, one sample per shard (label shard="N") and
// one for the sum (shard="all"); histograms as cumulative _bucket{le=...}
// samples plus _sum and _count. Metrics in name order, shards in the given
// order.
std::string RenderPrometheus(const std::vector<MetricsSnapshot>& shards);

// Renders a table for people: one row per metric, one column per shard
// plus "all". A histogram shows its count and the bucket bounds holding its
// median and 99th percentile ("n=10 p50<=64 p99<=1024").
std::string RenderTable(const std::vector<MetricsSnapshot>& shards);

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Each returns a pointer that stays valid as long as the registry.
  Counter* AddCounter(const std::string& name, const std::string& help);
  Gauge* AddGauge(const std::string& name, const std::string& help);
  Histogram* AddHistogram(const std::string& name, const std::string& help);
  // Metrics read from `sample` when a snapshot is taken (on the shard).
  void AddSampledCounter(const std::string& name, const std::string& help,
                         absl::AnyInvocable<uint64_t() const> sample);
  void AddSampledGauge(const std::string& name, const std::string& help,
                       absl::AnyInvocable<int64_t() const> sample);

  // Copies every value. Call on the registry's shard.
  MetricsSnapshot Snapshot(int shard) const;

  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string name;
    std::string help;
    MetricType type;
    Counter* counter = nullptr;
    Gauge* gauge = nullptr;
    Histogram* histogram = nullptr;
    absl::AnyInvocable<uint64_t() const> sample_counter;
    absl::AnyInvocable<int64_t() const> sample_gauge;
  };
  Entry& NewEntry(const std::string& name, const std::string& help, MetricType type);

  // deques: growing them never moves what the returned pointers point to.
  std::deque<Counter> counters_;
  std::deque<Gauge> gauges_;
  std::deque<Histogram> histograms_;
  std::vector<Entry> entries_;
};

}  // namespace ringlet
