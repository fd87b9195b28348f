#include "exec/batch_sizer.h"

#include <gtest/gtest.h>

namespace tide::exec {
namespace {

using std::chrono::milliseconds;

TEST(BatchSizerTest, AimsAtTheTargetDurationAtMostDoublingABatch) {
  BatchSizer s(1000, 100, 100'000, milliseconds(20));
  // 1,000 keys took 5 ms: 4,000 would take 20, but a batch at most doubles.
  EXPECT_EQ(s.Next(5, 0, 0), milliseconds(0));
  EXPECT_EQ(s.size(), 2000);
  for (int i = 0; i < 20; ++i) s.Next(static_cast<double>(s.size()) * 0.005, 0, 0);
  EXPECT_NEAR(static_cast<double>(s.size()), 4000, 40);
  // Slower rows: the batch follows, at most halving at a time.
  for (int i = 0; i < 30; ++i) s.Next(static_cast<double>(s.size()) * 0.02, 0, 0);
  EXPECT_NEAR(static_cast<double>(s.size()), 1000, 50);
  EXPECT_EQ(s.shrunk(), 0);
}

TEST(BatchSizerTest, HalvesAndPausesWhileTheApplicationQueuesThenGrowsBack) {
  BatchSizer s(4000, 100, 100'000, milliseconds(20));
  for (int i = 0; i < 5; ++i) s.Next(static_cast<double>(s.size()) * 0.005, 0, 0);
  const int64_t steady = s.size();
  // A 3 ms wait behind a 20 ms batch is any write's cost: counted, the batch unchanged.
  EXPECT_EQ(s.Next(static_cast<double>(s.size()) * 0.005, 1, 3), milliseconds(0));
  EXPECT_EQ(s.size(), steady);
  EXPECT_EQ(s.shrunk(), 0);
  EXPECT_EQ(s.longest_wait_ms(), 3);
  // Two sessions waited up to 18 ms behind the last batch.
  milliseconds pause = s.Next(static_cast<double>(s.size()) * 0.005, 2, 18);
  EXPECT_EQ(pause, milliseconds(18));
  EXPECT_EQ(s.size(), steady / 2);
  EXPECT_EQ(s.shrunk(), 1);
  EXPECT_EQ(s.waiters(), 3);
  EXPECT_EQ(s.longest_wait_ms(), 18);
  // Again: halved again, never below the minimum; the pause is bounded.
  for (int i = 0; i < 10; ++i) pause = s.Next(static_cast<double>(s.size()) * 0.005, 1, 400);
  EXPECT_EQ(s.size(), 100);
  EXPECT_LE(pause, milliseconds(50));
  EXPECT_EQ(s.longest_wait_ms(), 400);
  // Nobody waits any more: back to the size the duration target asks for, gradually.
  s.Next(static_cast<double>(s.size()) * 0.005, 0, 0);
  EXPECT_GT(s.size(), 100);
  EXPECT_LT(s.size(), steady);
  for (int i = 0; i < 40; ++i) s.Next(static_cast<double>(s.size()) * 0.005, 0, 0);
  EXPECT_NEAR(static_cast<double>(s.size()), static_cast<double>(steady), steady * 0.05);
  EXPECT_EQ(s.shrunk(), 11);
  EXPECT_EQ(s.waiters(), 13);
}

}  // namespace
}  // namespace tide::exec
