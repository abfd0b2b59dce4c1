#include "core/metrics.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ringlet {
namespace {

TEST(HistogramTest, BucketsAreLogTwo) {
  EXPECT_EQ(HistogramBucketIndex(0), 0);
  EXPECT_EQ(HistogramBucketIndex(1), 0);
  EXPECT_EQ(HistogramBucketIndex(2), 1);
  EXPECT_EQ(HistogramBucketIndex(3), 2);
  EXPECT_EQ(HistogramBucketIndex(4), 2);
  EXPECT_EQ(HistogramBucketIndex(5), 3);
  EXPECT_EQ(HistogramBucketIndex(uint64_t{1} << 30), 30);
  EXPECT_EQ(HistogramBucketIndex((uint64_t{1} << 30) + 1), kHistogramBuckets - 1);
  EXPECT_EQ(HistogramBucketIndex(~uint64_t{0}), kHistogramBuckets - 1);
  for (uint64_t v = 1; v < 5000; ++v) {
    int i = HistogramBucketIndex(v);
    EXPECT_LE(v, HistogramBucketBound(i));
    if (i > 0) EXPECT_GT(v, HistogramBucketBound(i - 1));
  }
}

TEST(MetricsRegistryTest, SnapshotCopiesEveryKind) {
  MetricsRegistry registry;
  Counter* logins = registry.AddCounter("logins_total", "Logins.");
  Gauge* sessions = registry.AddGauge("sessions", "Open sessions.");
  Histogram* latency = registry.AddHistogram("login_latency_us", "Login latency.");
  uint64_t turns = 7;
  registry.AddSampledCounter("turns_total", "Turns.", [&turns] { return turns; });
  registry.AddSampledGauge("queue", "Queue.", [] { return int64_t{-2}; });
  logins->Increment();
  logins->Add(2);
  sessions->Set(5);
  sessions->Add(-1);
  latency->Record(3);
  latency->Record(100);
  turns = 9;

  MetricsSnapshot snapshot = registry.Snapshot(4);
  EXPECT_EQ(snapshot.shard(), 4);
  ASSERT_EQ(snapshot.metrics().size(), 5u);
  // Sorted by name.
  EXPECT_EQ(snapshot.metrics()[0].name, "login_latency_us");
  EXPECT_EQ(snapshot.metrics()[4].name, "turns_total");
  EXPECT_EQ(snapshot.Find("logins_total")->value, 3);
  EXPECT_EQ(snapshot.Find("sessions")->value, 4);
  EXPECT_EQ(snapshot.Find("turns_total")->value, 9);
  EXPECT_EQ(snapshot.Find("queue")->value, -2);
  const MetricValue* histogram = snapshot.Find("login_latency_us");
  EXPECT_EQ(histogram->count, 2u);
  EXPECT_EQ(histogram->sum, 103u);
  EXPECT_EQ(histogram->buckets[2], 1u);
  EXPECT_EQ(histogram->buckets[7], 1u);
  EXPECT_EQ(snapshot.Find("missing"), nullptr);
}

TEST(MetricsRegistryTest, PointersSurviveLaterRegistrations) {
  MetricsRegistry registry;
  Counter* first = registry.AddCounter("c0_total", "");
  for (int i = 1; i < 200; ++i) registry.AddCounter("c" + std::to_string(i) + "_total", "");
  first->Add(11);
  EXPECT_EQ(registry.Snapshot(0).Find("c0_total")->value, 11);
}

TEST(MetricsRegistryDeathTest, RefusesBadAndDuplicateNames) {
  MetricsRegistry registry;
  registry.AddCounter("ok_total", "");
  EXPECT_DEATH(registry.AddCounter("ok_total", ""), "registered twice");
  EXPECT_DEATH(registry.AddGauge("1bad", ""), "metric names");
  EXPECT_DEATH(registry.AddGauge("bad-name", ""), "metric names");
}

// Two shards with overlapping metrics, as the admin service merges them.
std::vector<MetricsSnapshot> TwoShards() {
  MetricsRegistry a;
  a.AddCounter("stanzas_total", "Stanzas routed.")->Add(5);
  a.AddGauge("sessions", "Open sessions.")->Set(2);
  Histogram* ha = a.AddHistogram("latency_us", "Latency.");
  ha->Record(1);
  ha->Record(3);
  MetricsRegistry b;
  b.AddCounter("stanzas_total", "Stanzas routed.")->Add(7);
  Histogram* hb = b.AddHistogram("latency_us", "Latency.");
  hb->Record(2);
  return {a.Snapshot(0), b.Snapshot(1)};
}

TEST(MetricsSnapshotTest, MergeAddsByName) {
  std::vector<MetricsSnapshot> shards = TwoShards();
  MetricsSnapshot total = MergeSnapshots(shards);
  EXPECT_EQ(total.shard(), MetricsSnapshot::kAllShards);
  EXPECT_EQ(total.Find("stanzas_total")->value, 12);
  EXPECT_EQ(total.Find("sessions")->value, 2);  // only shard 0 has it
  const MetricValue* latency = total.Find("latency_us");
  EXPECT_EQ(latency->count, 3u);
  EXPECT_EQ(latency->sum, 6u);
  EXPECT_EQ(latency->buckets[0], 1u);
  EXPECT_EQ(latency->buckets[1], 1u);
  EXPECT_EQ(latency->buckets[2], 1u);
}

TEST(MetricsSnapshotTest, RendersPrometheusText) {
  MetricsRegistry a;
  a.AddCounter("stanzas_total", "Stanzas routed.\nTwo lines \\ here.")->Add(5);
  a.AddGauge("sessions", "Open sessions.")->Set(2);
  MetricsRegistry b;
  b.AddCounter("stanzas_total", "Stanzas routed.\nTwo lines \\ here.")->Add(7);
  std::string text = RenderPrometheus({a.Snapshot(0), b.Snapshot(1)});
  EXPECT_EQ(text,
            "# HELP sessions Open sessions.\n"
            "# TYPE sessions gauge\n"
            "sessions{shard=\"0\"} 2\n"
            "sessions{shard=\"all\"} 2\n"
            "# HELP stanzas_total Stanzas routed.\\nTwo lines \\\\ here.\n"
            "# TYPE stanzas_total counter\n"
            "stanzas_total{shard=\"0\"} 5\n"
            "stanzas_total{shard=\"1\"} 7\n"
            "stanzas_total{shard=\"all\"} 12\n");
}

TEST(MetricsSnapshotTest, RendersPrometheusHistogramCumulatively) {
  MetricsRegistry a;
  Histogram* h = a.AddHistogram("latency_us", "Latency.");
  h->Record(1);
  h->Record(3);
  h->Record(3);
  std::string text = RenderPrometheus({a.Snapshot(0)});
  std::string expected =
      "# HELP latency_us Latency.\n"
      "# TYPE latency_us histogram\n";
  for (const char* shard : {"0", "all"}) {
    for (int i = 0; i < kHistogramBuckets; ++i) {
      std::string le = i == kHistogramBuckets - 1 ? "+Inf" : std::to_string(uint64_t{1} << i);
      int cumulative = i == 0 ? 1 : (i == 1 ? 1 : 3);
      expected += "latency_us_bucket{shard=\"" + std::string(shard) + "\",le=\"" + le + "\"} " +
                  std::to_string(cumulative) + "\n";
    }
    expected += "latency_us_sum{shard=\"" + std::string(shard) + "\"} 7\n";
    expected += "latency_us_count{shard=\"" + std::string(shard) + "\"} 3\n";
  }
  EXPECT_EQ(text, expected);
}

TEST(MetricsSnapshotTest, RendersTable) {
  std::string table = RenderTable(TwoShards());
  EXPECT_EQ(table,
            "metric                   shard 0            shard 1                all\n"
            "latency_us     n=2 p50<=1 p99<=4  n=1 p50<=2 p99<=2  n=3 p50<=2 p99<=4\n"
            "sessions                       2                  -                  2\n"
            "stanzas_total                  5                  7                 12\n");
}

TEST(MetricsSnapshotTest, SnapshotsAreCopyableValues) {
  std::vector<MetricsSnapshot> shards = TwoShards();
  MetricsSnapshot copy = shards[0];
  shards[0].MergeFrom(shards[1]);
  EXPECT_EQ(copy.Find("stanzas_total")->value, 5);
  EXPECT_EQ(shards[0].Find("stanzas_total")->value, 12);
}

}  // namespace
}  // namespace ringlet
