#include "config/settings.h"

#include <gtest/gtest.h>

namespace tide::config {
namespace {

using std::chrono::milliseconds;

TEST(ReplicaLagLimitTest, DurationsLimitReplayTimeAndSizesLimitWal) {
  BackfillSettings b;
  ASSERT_TRUE(SetReplicaLagLimit("500ms", b).ok());
  EXPECT_EQ(b.max_replica_lag_time, milliseconds(500));
  EXPECT_FALSE(b.max_replica_lag_bytes);
  ASSERT_TRUE(SetReplicaLagLimit("2s", b).ok());
  EXPECT_EQ(b.max_replica_lag_time, milliseconds(2000));
  ASSERT_TRUE(SetReplicaLagLimit("1min", b).ok());
  EXPECT_EQ(b.max_replica_lag_time, milliseconds(60'000));

  BackfillSettings w;
  ASSERT_TRUE(SetReplicaLagLimit("1MB", w).ok());
  EXPECT_EQ(w.max_replica_lag_bytes, 1024 * 1024);
  EXPECT_FALSE(w.max_replica_lag_time);
  ASSERT_TRUE(SetReplicaLagLimit("4096", w).ok());  // a bare number stays bytes, as before
  EXPECT_EQ(w.max_replica_lag_bytes, 4096);
}

TEST(ReplicaLagLimitTest, AmbiguousZeroAndUnknownValuesAreRefusedWithWhy) {
  BackfillSettings b;
  auto m = SetReplicaLagLimit("2m", b);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message().find("minutes or megabytes"), std::string::npos);
  EXPECT_FALSE(SetReplicaLagLimit("0s", b).ok());
  EXPECT_FALSE(SetReplicaLagLimit("0", b).ok());
  auto bad = SetReplicaLagLimit("ten seconds", b);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().hint().find("500ms"), std::string::npos);
  EXPECT_FALSE(b.max_replica_lag_time);
  EXPECT_FALSE(b.max_replica_lag_bytes);
}

TEST(ReplicaLagLimitTest, TideTomlTakesADurationASizeOrBothAndTheThrottleWait) {
  Settings s;
  ASSERT_TRUE(ParseConfigText("[backfill]\nmax_replica_lag = [\"2s\", \"1GB\"]\n"
                              "max_throttle_wait = \"10min\"\n",
                              "tide.toml", s)
                  .ok());
  EXPECT_EQ(s.backfill.max_replica_lag_time, milliseconds(2000));
  EXPECT_EQ(s.backfill.max_replica_lag_bytes, 1024LL * 1024 * 1024);
  EXPECT_EQ(s.backfill.max_throttle_wait, milliseconds(600'000));

  Settings bytes;
  ASSERT_TRUE(ParseConfigText("[backfill]\nmax_replica_lag = 65536\n", "tide.toml", bytes).ok());
  EXPECT_EQ(bytes.backfill.max_replica_lag_bytes, 65536);
  EXPECT_FALSE(bytes.backfill.max_replica_lag_time);

  Settings bad;
  auto st = ParseConfigText("[backfill]\nmax_replica_lag = \"3m\"\n", "tide.toml", bad);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("backfill.max_replica_lag"), std::string::npos)
      << st.error().ToString();
  ASSERT_TRUE(st.error().location());
  EXPECT_EQ(st.error().location()->line, 2);
}

}  // namespace
}  // namespace tide::config
