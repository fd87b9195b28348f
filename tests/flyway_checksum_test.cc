// Checksums of fixture files, compared with what Flyway's algorithm gives for them in Java
// (tests/fixtures/flyway_checksums/FlywayChecksum.java wrote expected.txt).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "source/checksum.h"

namespace tide::migrate {

using source::FlywayChecksum;
namespace {

TEST(FlywayChecksumTest, MatchesJavaForLineEndingsBomAndUnicode) {
  std::string dir = std::string(TIDE_SOURCE_DIR) + "/tests/fixtures/flyway_checksums/";
  std::ifstream expected(dir + "expected.txt");
  ASSERT_TRUE(expected) << "missing expected.txt";
  std::string name;
  int32_t want;
  int checked = 0;
  while (expected >> name >> want) {
    std::ifstream in(dir + name, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_EQ(FlywayChecksum(ss.str()), want) << name;
    ++checked;
  }
  EXPECT_GE(checked, 6);
}

TEST(FlywayChecksumTest, LineEndingsDoNotChangeItTrailingSpacesDo) {
  EXPECT_EQ(FlywayChecksum("a\nb\n"), FlywayChecksum("a\r\nb"));
  EXPECT_EQ(FlywayChecksum("a\n\n\nb"), FlywayChecksum("a\rb\r"));
  EXPECT_NE(FlywayChecksum("a \nb"), FlywayChecksum("a\nb"));
  EXPECT_EQ(FlywayChecksum("\xEF\xBB\xBF" "a"), FlywayChecksum("a"));
}

}  // namespace
}  // namespace tide::migrate
