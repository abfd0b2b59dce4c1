#include "core/metrics.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/check.h"

namespace ringlet {
namespace {

bool ValidMetricName(const std::string& name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

const char* TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// HELP text escaping of the exposition format: backslash and line feed.
std::string EscapeHelp(const std::string& help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string ShardLabel(int shard) {
  return shard == MetricsSnapshot::kAllShards ? std::string("all") : absl::StrCat(shard);
}

std::string BoundText(int index) {
  return index == kHistogramBuckets - 1 ? std::string("+Inf")
                                        : absl::StrCat(HistogramBucketBound(index));
}

// Returns the bound of the bucket holding the `fraction` quantile, as text.
std::string QuantileBound(const MetricValue& metric, double fraction) {
  uint64_t rank = static_cast<uint64_t>(fraction * static_cast<double>(metric.count) + 0.999999);
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (int i = 0; i < static_cast<int>(metric.buckets.size()); ++i) {
    seen += metric.buckets[i];
    if (seen >= rank) return BoundText(i);
  }
  return "+Inf";
}

std::string TableCell(const MetricValue* metric) {
  if (metric == nullptr) return "-";
  if (metric->type != MetricType::kHistogram) return absl::StrCat(metric->value);
  if (metric->count == 0) return "n=0";
  return absl::StrCat("n=", metric->count, " p50<=", QuantileBound(*metric, 0.5),
                      " p99<=", QuantileBound(*metric, 0.99));
}

// The snapshots to print, in order: every shard, then their sum.
std::vector<const MetricsSnapshot*> Columns(const std::vector<MetricsSnapshot>& shards,
                                            const MetricsSnapshot& total) {
  std::vector<const MetricsSnapshot*> columns;
  for (const MetricsSnapshot& shard : shards) columns.push_back(&shard);
  columns.push_back(&total);
  return columns;
}

}  // namespace

uint64_t HistogramBucketBound(int index) { return uint64_t{1} << index; }

const MetricValue* MetricsSnapshot::Find(const std::string& name) const {
  auto it = std::lower_bound(metrics_.begin(), metrics_.end(), name,
                             [](const MetricValue& m, const std::string& n) { return m.name < n; });
  if (it == metrics_.end() || it->name != name) return nullptr;
  return &*it;
}

void MetricsSnapshot::Add(MetricValue value) {
  auto it = std::lower_bound(
      metrics_.begin(), metrics_.end(), value.name,
      [](const MetricValue& m, const std::string& n) { return m.name < n; });
  metrics_.insert(it, std::move(value));
}

void MetricsSnapshot::MergeFrom(const MetricsSnapshot& other) {
  for (const MetricValue& theirs : other.metrics_) {
    auto it = std::lower_bound(
        metrics_.begin(), metrics_.end(), theirs.name,
        [](const MetricValue& m, const std::string& n) { return m.name < n; });
    if (it == metrics_.end() || it->name != theirs.name) {
      metrics_.insert(it, theirs);
      continue;
    }
    CHECK_MSG(it->type == theirs.type, "one metric name registered with two types");
    it->value += theirs.value;
    it->count += theirs.count;
    it->sum += theirs.sum;
    if (it->buckets.size() < theirs.buckets.size()) it->buckets.resize(theirs.buckets.size(), 0);
    for (size_t i = 0; i < theirs.buckets.size(); ++i) it->buckets[i] += theirs.buckets[i];
  }
}

MetricsSnapshot MergeSnapshots(const std::vector<MetricsSnapshot>& shards) {
  MetricsSnapshot total(MetricsSnapshot::kAllShards);
  for (const MetricsSnapshot& shard : shards) total.MergeFrom(shard);
  return total;
}

std::string RenderPrometheus(const std::vector<MetricsSnapshot>& shards) {
  MetricsSnapshot total = MergeSnapshots(shards);
  std::vector<const MetricsSnapshot*> columns = Columns(shards, total);
  std::string out;
  for (const MetricValue& family : total.metrics()) {
    absl::StrAppend(&out, "# HELP ", family.name, " ", EscapeHelp(family.help), "\n");
    absl::StrAppend(&out, "# TYPE ", family.name, " ", TypeName(family.type), "\n");
    for (const MetricsSnapshot* column : columns) {
      const MetricValue* metric = column->Find(family.name);
      if (metric == nullptr) continue;
      std::string shard = ShardLabel(column->shard());
      if (metric->type != MetricType::kHistogram) {
        absl::StrAppend(&out, family.name, "{shard=\"", shard, "\"} ", metric->value, "\n");
        continue;
      }
      uint64_t cumulative = 0;
      for (int i = 0; i < kHistogramBuckets; ++i) {
        if (i < static_cast<int>(metric->buckets.size())) cumulative += metric->buckets[i];
        absl::StrAppend(&out, family.name, "_bucket{shard=\"", shard, "\",le=\"", BoundText(i),
                        "\"} ", cumulative, "\n");
      }
      absl::StrAppend(&out, family.name, "_sum{shard=\"", shard, "\"} ", metric->sum, "\n");
      absl::StrAppend(&out, family.name, "_count{shard=\"", shard, "\"} ", metric->count, "\n");
    }
  }
  return out;
}

std::string RenderTable(const std::vector<MetricsSnapshot>& shards) {
  MetricsSnapshot total = MergeSnapshots(shards);
  std::vector<const MetricsSnapshot*> columns = Columns(shards, total);

  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"metric"};
  for (const MetricsSnapshot* column : columns) {
    header.push_back(column->shard() == MetricsSnapshot::kAllShards
                         ? std::string("all")
                         : absl::StrCat("shard ", column->shard()));
  }
  rows.push_back(std::move(header));
  for (const MetricValue& family : total.metrics()) {
    std::vector<std::string> row = {family.name};
    for (const MetricsSnapshot* column : columns) row.push_back(TableCell(column->Find(family.name)));
    rows.push_back(std::move(row));
  }
  std::vector<size_t> widths(columns.size() + 1, 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line = row[0] + std::string(widths[0] - row[0].size(), ' ');
    // Values are right-aligned so that digits line up.
    for (size_t i = 1; i < row.size(); ++i) {
      absl::StrAppend(&line, "  ", std::string(widths[i] - row[i].size(), ' '), row[i]);
    }
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

MetricsRegistry::Entry& MetricsRegistry::NewEntry(const std::string& name, const std::string& help,
                                                  MetricType type) {
  CHECK_MSG(ValidMetricName(name), "metric names are [a-zA-Z_:][a-zA-Z0-9_:]*");
  for (const Entry& entry : entries_) CHECK_MSG(entry.name != name, "metric registered twice");
  Entry& entry = entries_.emplace_back();
  entry.name = name;
  entry.help = help;
  entry.type = type;
  return entry;
}

Counter* MetricsRegistry::AddCounter(const std::string& name, const std::string& help) {
  Entry& entry = NewEntry(name, help, MetricType::kCounter);
  entry.counter = &counters_.emplace_back();
  return entry.counter;
}

Gauge* MetricsRegistry::AddGauge(const std::string& name, const std::string& help) {
  Entry& entry = NewEntry(name, help, MetricType::kGauge);
  entry.gauge = &gauges_.emplace_back();
  return entry.gauge;
}

Histogram* MetricsRegistry::AddHistogram(const std::string& name, const std::string& help) {
  Entry& entry = NewEntry(name, help, MetricType::kHistogram);
  entry.histogram = &histograms_.emplace_back();
  return entry.histogram;
}

void MetricsRegistry::AddSampledCounter(const std::string& name, const std::string& help,
                                        absl::AnyInvocable<uint64_t() const> sample) {
  NewEntry(name, help, MetricType::kCounter).sample_counter = std::move(sample);
}

void MetricsRegistry::AddSampledGauge(const std::string& name, const std::string& help,
                                      absl::AnyInvocable<int64_t() const> sample) {
  NewEntry(name, help, MetricType::kGauge).sample_gauge = std::move(sample);
}

MetricsSnapshot MetricsRegistry::Snapshot(int shard) const {
  MetricsSnapshot snapshot(shard);
  for (const Entry& entry : entries_) {
    MetricValue value;
    value.name = entry.name;
    value.help = entry.help;
    value.type = entry.type;
    if (entry.counter != nullptr) {
      value.value = static_cast<int64_t>(entry.counter->value());
    } else if (entry.gauge != nullptr) {
      value.value = entry.gauge->value();
    } else if (entry.histogram != nullptr) {
      const Histogram& histogram = *entry.histogram;
      value.buckets.resize(kHistogramBuckets);
      for (int i = 0; i < kHistogramBuckets; ++i) value.buckets[i] = histogram.bucket(i);
      value.count = histogram.count();
      value.sum = histogram.sum();
    } else if (entry.sample_counter) {
      value.value = static_cast<int64_t>(entry.sample_counter());
    } else if (entry.sample_gauge) {
      value.value = entry.sample_gauge();
    }
    snapshot.Add(std::move(value));
  }
  return snapshot;
}

}  // namespace ringlet
