#include "source/version.h"

#include <gtest/gtest.h>

namespace tide::source {
namespace {

Version V(const char* text) { return Version::Parse(text).value(); }

TEST(VersionTest, ComparesPartsAsIntegers) {
  EXPECT_LT(V("1.9"), V("1.10"));
  EXPECT_LT(V("1"), V("1.1"));
  EXPECT_LT(V("2"), V("10"));
  EXPECT_GT(V("1.1"), V("1.0.9"));
  EXPECT_LT(V("99999999999999999999"), V("100000000000000000000"));
}

TEST(VersionTest, TrailingZerosAndLeadingZerosDoNotCount) {
  EXPECT_EQ(V("1.0"), V("1"));
  EXPECT_EQ(V("1.0.0"), V("1"));
  EXPECT_EQ(V("1.01"), V("1.1"));
  EXPECT_EQ(V("1_1"), V("1.1"));
}

TEST(VersionTest, TextKeepsDigitsAndWritesUnderscoresAsDots) {
  EXPECT_EQ(V("1_10_2").text(), "1.10.2");
  EXPECT_EQ(V("1.01").text(), "1.01");
}

TEST(VersionTest, RejectsGarbage) {
  EXPECT_FALSE(Version::Parse("").ok());
  EXPECT_FALSE(Version::Parse("1..2").ok());
  EXPECT_FALSE(Version::Parse("1.a").ok());
  EXPECT_FALSE(Version::Parse(".1").ok());
  EXPECT_FALSE(Version::Parse("1.").ok());
  EXPECT_FALSE(Version::Parse("v1").ok());
}

}  // namespace
}  // namespace tide::source
