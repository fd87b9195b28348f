#include "exec/replica_watch.h"

#include <gtest/gtest.h>

namespace tide::exec {
namespace {

using std::chrono::milliseconds;

const LagLimits kTwoSeconds{std::nullopt, milliseconds(2000)};

TEST(JudgeLagTest, GoesOnWhileEveryStandbyIsWithinTheTimeLimit) {
  std::map<std::string, int> start{{"standby a (local socket)", 1}};
  auto v = JudgeLag({{"standby a (local socket)", 50'000'000, 300}}, start, kTwoSeconds);
  EXPECT_FALSE(v.wait);  // bytes do not count when only a time is given
  EXPECT_FALSE(v.near);
  EXPECT_EQ(v.worst_ms, 300);
  EXPECT_EQ(v.worst_bytes, 50'000'000);
}

TEST(JudgeLagTest, WaitsForTheWorstStandbyOverEitherLimitAndNamesIt) {
  LagLimits both{1 << 20, milliseconds(2000)};
  std::map<std::string, int> start{{"standby a (10.0.0.1)", 1}, {"slot b", 1}};
  auto v = JudgeLag({{"standby a (10.0.0.1)", 100, 2500}, {"slot b", 8 << 20, 100}}, start, both);
  EXPECT_TRUE(v.wait);
  EXPECT_NE(v.why.find("behind"), std::string::npos) << v.why;
  EXPECT_EQ(v.worst_ms, 2500);
  EXPECT_EQ(v.worst_bytes, 8 << 20);
  auto near = JudgeLag({{"standby a (10.0.0.1)", 100, 1500}, {"slot b", 100, 100}}, start, both);
  EXPECT_FALSE(near.wait);
  EXPECT_TRUE(near.near) << "above half the limit: read before every batch";
}

TEST(JudgeLagTest, AStandbyThatStreamedAtTheStartAndIsGoneIsWaitedForNotTakenAsNoLag) {
  std::map<std::string, int> start{{"standby a (local socket)", 2}, {"slot b", 1}};
  // One of the two "a" standbys left; "b" still streams, with no lag.
  auto v = JudgeLag({{"standby a (local socket)", 0, 0}, {"slot b", 0, 0}}, start, kTwoSeconds);
  EXPECT_TRUE(v.wait);
  EXPECT_NE(v.why.find("standby a (local socket) stopped streaming"), std::string::npos) << v.why;
  // None at all: still a wait, not an empty (zero) lag.
  EXPECT_TRUE(JudgeLag({}, start, kTwoSeconds).wait);
  // A standby that was not there at the start and is not there now is nobody's concern.
  EXPECT_FALSE(JudgeLag({}, {}, kTwoSeconds).wait);
  // Back again (a new pid, same name): going on.
  EXPECT_FALSE(JudgeLag({{"standby a (local socket)", 0, 0}, {"standby a (local socket)", 0, 0},
                         {"slot b", 0, 0}},
                        start, kTwoSeconds)
                   .wait);
}

TEST(JudgeLagTest, LagIsPrintedInTheUnitsOfTheLimits) {
  EXPECT_EQ(FormatLag(1500, 3 << 20, kTwoSeconds), "1.5 s");
  EXPECT_EQ(FormatLag(1500, 3 << 20, LagLimits{1 << 20, std::nullopt}), "3.0 MB");
  EXPECT_EQ(FormatLag(1500, 3 << 20, LagLimits{1 << 20, milliseconds(500)}), "1.5 s and 3.0 MB");
  EXPECT_EQ(FormatLimits(LagLimits{1 << 20, milliseconds(500)}), "500 ms or 1.0 MB");
}

}  // namespace
}  // namespace tide::exec
