#include "base/retry.h"

#include <gtest/gtest.h>

namespace tide {
namespace {

using std::chrono::milliseconds;

TEST(RetryPolicyTest, PausesDoubleFromTheFirstUpToTheCapWithJitterOfAtMostHalf) {
  RetryPolicy policy{milliseconds(100), milliseconds(1000), milliseconds(60000)};
  std::mt19937_64 rng(7);
  const int64_t expected_full[] = {100, 200, 400, 800, 1000, 1000, 1000};
  for (int attempt = 1; attempt <= 7; ++attempt) {
    for (int draw = 0; draw < 50; ++draw) {
      int64_t p = policy.Pause(attempt, rng).count();
      EXPECT_GE(p, expected_full[attempt - 1] / 2) << attempt;
      EXPECT_LE(p, expected_full[attempt - 1]) << attempt;
    }
  }
  // A huge attempt number neither overflows nor passes the cap.
  EXPECT_LE(policy.Pause(1000, rng).count(), 1000);
  EXPECT_GE(policy.Pause(1000, rng).count(), 500);
}

TEST(RetryPolicyTest, JitterSpreadsClientsThatFailedTogether) {
  RetryPolicy policy{milliseconds(1000), milliseconds(1000), milliseconds(60000)};
  std::mt19937_64 rng(11);
  int64_t lo = 1000, hi = 0;
  for (int i = 0; i < 200; ++i) {
    int64_t p = policy.Pause(1, rng).count();
    lo = std::min(lo, p);
    hi = std::max(hi, p);
  }
  EXPECT_LT(lo, 600);
  EXPECT_GT(hi, 900);
}

}  // namespace
}  // namespace tide
