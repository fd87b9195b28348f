#include "rehearse/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "rehearse/client_stats.h"

namespace tide::rehearse {
namespace {

TEST(HistogramTest, EmptyIsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.ValueAtPercentile(99), 0);
  EXPECT_EQ(h.max(), 0);
}

TEST(HistogramTest, SmallValuesAreExact) {
  LatencyHistogram h;
  for (int v = 1; v <= 100; ++v) h.Record(v);
  EXPECT_EQ(h.ValueAtPercentile(50), 50);
  EXPECT_EQ(h.ValueAtPercentile(99), 99);
  EXPECT_EQ(h.ValueAtPercentile(100), 100);
  EXPECT_EQ(h.min(), 1);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(HistogramTest, PercentilesWithinOnePercentOverAWideRange) {
  std::mt19937_64 rng(1);
  std::lognormal_distribution<double> dist(8.0, 2.0);  // ~3 ms median, long tail
  std::vector<int64_t> values;
  LatencyHistogram h;
  for (int i = 0; i < 100000; ++i) {
    int64_t v = static_cast<int64_t>(dist(rng));
    values.push_back(v);
    h.Record(v);
  }
  std::sort(values.begin(), values.end());
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    int64_t exact = values[static_cast<size_t>(std::ceil(p / 100 * values.size())) - 1];
    int64_t got = h.ValueAtPercentile(p);
    EXPECT_GE(got, exact) << p;
    EXPECT_LE(static_cast<double>(got), static_cast<double>(exact) * 1.01 + 1) << p;
  }
  EXPECT_EQ(h.max(), values.back());
}

TEST(HistogramTest, BucketsCoverTheirValues) {
  LatencyHistogram h(7);
  const int64_t values[] = {
      0, 1, 127, 128, 129, 1000, 123456, 60'000'000, LatencyHistogram::kMaxTrackableMicros};
  for (int64_t v : values) {
    int b = h.BucketOf(v);
    EXPECT_GE(h.BucketTop(b), v);
    EXPECT_LE(static_cast<double>(h.BucketTop(b) - v), static_cast<double>(v) / 128.0 + 1) << v;
    if (b > 0) {
      EXPECT_LT(h.BucketTop(b - 1), v) << v;
    }
  }
  EXPECT_EQ(h.BucketOf(LatencyHistogram::kMaxTrackableMicros), h.bucket_count() - 1);
}

TEST(HistogramTest, HugeValuesAreClampedButMaxIsExact) {
  LatencyHistogram h;
  h.Record(int64_t{1} << 40);
  EXPECT_EQ(h.max(), int64_t{1} << 40);
  EXPECT_EQ(h.ValueAtPercentile(100), int64_t{1} << 40);
}

TEST(HistogramTest, MergeEqualsRecordingEverything) {
  LatencyHistogram a, b, all;
  for (int i = 1; i <= 1000; ++i) {
    (i % 2 ? a : b).Record(i * 37);
    all.Record(i * 37);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_EQ(a.min(), all.min());
  for (double p : {1.0, 50.0, 99.0, 99.9}) {
    EXPECT_EQ(a.ValueAtPercentile(p), all.ValueAtPercentile(p));
  }
}

TEST(HistogramTest, SparseBucketsRoundTrip) {
  LatencyHistogram h(5), copy(5);
  for (int i = 0; i < 500; ++i) h.Record(i * i);
  SparseBuckets sparse;
  MergeSparse(sparse, h.NonEmptyBuckets());
  MergeSparse(sparse, h.NonEmptyBuckets());
  for (auto [bucket, n] : sparse) copy.AddBucket(bucket, n);
  EXPECT_EQ(copy.count(), 1000);
  EXPECT_EQ(copy.ValueAtPercentile(50), h.ValueAtPercentile(50));
  EXPECT_EQ(copy.ValueAtPercentile(99), h.ValueAtPercentile(99));
}

TEST(ClientStatsTest, PhasesWindowsAndErrors) {
  ClientStats stats(2);
  Error missing = Error::Database("column \"contact_info\" does not exist", "42703")
                      .At({"/x/app-v1.sql", 3, 0});
  stats.Record(0, 0, 1000, nullptr, 0.01);
  stats.Record(0, 0, 3000, nullptr, 0.05);
  stats.Record(1, 2, 500, &missing, 0.25);
  stats.Record(1, 2, 700, &missing, 0.26);
  Error other = Error::Database("other", "23505");
  Error third = Error::Database("third", "40001");
  stats.Record(1, 3, 700, &other, 0.31);
  stats.Record(1, 3, 700, &third, 0.32);
  ASSERT_EQ(stats.phases().size(), 2u);
  EXPECT_EQ(stats.phases()[0].latency.count(), 2);
  EXPECT_EQ(stats.phases()[1].failures, 4);
  const auto& samples = stats.phases()[1].errors.samples();
  ASSERT_EQ(samples.size(), 2u);  // at most 2 distinct kept
  EXPECT_EQ(samples[0].count, 2);
  EXPECT_EQ(samples[0].where, "app-v1.sql:3");
  EXPECT_EQ(samples[0].kind, "server");
  EXPECT_EQ(stats.phases()[1].errors.other(), 1);

  std::vector<WindowSample> windows;
  stats.DrainWindows(3, windows);  // window 3 is still open
  ASSERT_EQ(windows.size(), 2u);
  EXPECT_EQ(windows[0].index, 0);
  EXPECT_EQ(windows[0].requests, 2);
  EXPECT_EQ(windows[0].max_us, 3000);
  EXPECT_EQ(windows[1].failures, 2);
  windows.clear();
  stats.DrainWindows(4, windows);
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0].index, 3);
}

TEST(ClientStatsTest, SummarizeGivesMillisecondsAndThroughput) {
  LatencyHistogram h;
  for (int i = 1; i <= 100; ++i) h.Record(i * 1000);
  LatencySummary s = Summarize(h, 3, 2.0);
  EXPECT_EQ(s.requests, 100);
  EXPECT_EQ(s.failures, 3);
  EXPECT_DOUBLE_EQ(s.throughput, 50.0);
  EXPECT_NEAR(s.p50_ms, 50.0, 0.5);
  EXPECT_NEAR(s.p99_ms, 99.0, 1.0);
  EXPECT_DOUBLE_EQ(s.max_ms, 100.0);
}

}  // namespace
}  // namespace tide::rehearse
