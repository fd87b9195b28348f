#include "gate/gate.h"

#include <gtest/gtest.h>

namespace tide::gate {
namespace {

TEST(GateTest, ApplicationNames) {
  auto a = SplitApplicationName("customer-api/1.4.2");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->first, "customer-api");
  EXPECT_EQ(a->second, "1.4.2");
  auto b = SplitApplicationName("customer-api@2.0");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->second, "2.0");
  EXPECT_FALSE(SplitApplicationName("psql"));
  EXPECT_FALSE(SplitApplicationName("trailing/"));
}

TEST(GateTest, VersionsCompareAsDottedNumbers) {
  EXPECT_EQ(CompareVersions("1.10", "1.9"), 1);
  EXPECT_EQ(CompareVersions("1.0", "1"), 0);
  EXPECT_EQ(CompareVersions("1.4.2", "2.0"), -1);
  EXPECT_EQ(CompareVersions("v2.1", "2.1"), 0);
  EXPECT_EQ(CompareVersions("2.0-rc1", "2.0"), -1);
  EXPECT_EQ(CompareVersions("2.0.1-rc1", "2.0"), 1);
  EXPECT_FALSE(CompareVersions("latest", "2.0").has_value());
}

}  // namespace
}  // namespace tide::gate
