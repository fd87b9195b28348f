#include "base/strings.h"

#include <gtest/gtest.h>

namespace tide {
namespace {

TEST(StringsTest, QuoteIdentDoublesQuotes) {
  EXPECT_EQ(QuoteIdent("customers"), "\"customers\"");
  EXPECT_EQ(QuoteIdent("my \"t\""), "\"my \"\"t\"\"\"");
  EXPECT_EQ(QuoteQualified("public", "a;b"), "\"public\".\"a;b\"");
  EXPECT_EQ(QuoteLiteral("it's"), "'it''s'");
}

TEST(StringsTest, PositionOfCountsLfCrlfAndCr) {
  std::string text = "a\nbc\r\nd\re";
  EXPECT_EQ(PositionOf(text, 0).line, 1);
  EXPECT_EQ(PositionOf(text, 3).line, 2);
  EXPECT_EQ(PositionOf(text, 3).column, 2);
  EXPECT_EQ(PositionOf(text, 6).line, 3);
  EXPECT_EQ(PositionOf(text, 8).line, 4);
  EXPECT_EQ(LineAt(text, 2), "bc");
  EXPECT_EQ(LineAt(text, 4), "e");
}

TEST(StringsTest, ByteOfCharacterCountsCharactersAsTheServerDoes) {
  EXPECT_EQ(ByteOfCharacter("abc", 1), 0u);
  EXPECT_EQ(ByteOfCharacter("abc", 3), 2u);
  EXPECT_EQ(ByteOfCharacter("\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80x", 4), 9u);  // ü € 😀 x
  EXPECT_EQ(ByteOfCharacter("ab", 10), 2u);
  EXPECT_EQ(ByteOfCharacter("", 1), 0u);
}

TEST(StringsTest, PositionCursorAgreesWithPositionOfInAnyOrder) {
  std::string text = "a\nbc\r\nd\re\n\nfg";
  PositionCursor cursor(text);
  for (size_t offset : {0, 1, 3, 4, 5, 6, 8, 2, 9, 12, 100}) {
    LineColumn want = PositionOf(text, offset);
    LineColumn got = cursor.At(offset);
    EXPECT_EQ(got.line, want.line) << offset;
    EXPECT_EQ(got.column, want.column) << offset;
  }
}

TEST(StringsTest, ParseDurationUnits) {
  EXPECT_EQ(ParseDuration("500ms")->count(), 500);
  EXPECT_EQ(ParseDuration("2s")->count(), 2000);
  EXPECT_EQ(ParseDuration("1.5 s")->count(), 1500);
  EXPECT_EQ(ParseDuration("5m")->count(), 300000);
  EXPECT_EQ(ParseDuration("250")->count(), 250);
  EXPECT_FALSE(ParseDuration("fast").ok());
  EXPECT_FALSE(ParseDuration("5 parsecs").ok());
}

TEST(StringsTest, ParseBytesUnits) {
  EXPECT_EQ(ParseBytes("64MB").value(), 64LL * 1024 * 1024);
  EXPECT_EQ(ParseBytes("1.5 GB").value(), 1536LL * 1024 * 1024);
  EXPECT_EQ(ParseBytes("4096").value(), 4096);
  EXPECT_FALSE(ParseBytes("lots").ok());
  EXPECT_FALSE(ParseBytes("3 parsecs").ok());
}

TEST(StringsTest, FormatCountGroupsThousands) {
  EXPECT_EQ(FormatCount(0), "0");
  EXPECT_EQ(FormatCount(1234567), "1,234,567");
  EXPECT_EQ(FormatCount(-1000), "-1,000");
}

TEST(StringsTest, JavaHashMatchesJava) {
  // Values from java.lang.String.hashCode.
  EXPECT_EQ(JavaStringHash(""), 0);
  EXPECT_EQ(JavaStringHash("a"), 97);
  EXPECT_EQ(JavaStringHash("hello"), 99162322);
  EXPECT_EQ(JavaStringHash("\"public\".\"flyway_schema_history\""), 2125624436);
  EXPECT_EQ(JavaStringHash("\xc3\xa9"), 233);  // é is one UTF-16 unit
}

}  // namespace
}  // namespace tide

namespace tide {
namespace {

TEST(ErrorTest, ReassigningAChainedErrorKeepsItsMessage) {
  Error e = Error::Database("duplicate key", "23505");
  e = std::move(e).WithHint("fix the data");
  e = std::move(e).At({"V1__x.sql", 3, 1});
  e = std::move(e).Context("V1 failed");
  EXPECT_EQ(e.message(), "V1 failed: duplicate key");
  EXPECT_EQ(e.sqlstate(), "23505");
  EXPECT_EQ(e.hint(), "fix the data");
  EXPECT_EQ(e.ToString(), "V1__x.sql:3:1: V1 failed: duplicate key (SQLSTATE 23505)\n  hint: fix the data");
}

// Issue 15: "migrations/V12__x.sql: migrations/V12__x.sql mixes ..." named the file twice.
TEST(ErrorTest, AMessageThatNamesItsFileNamesItOnce) {
  Error e = Error::Input("migrations/V12__x.sql mixes expand and contract statements")
                .At({"migrations/V12__x.sql", 0, 0});
  EXPECT_EQ(e.ToString(), "migrations/V12__x.sql mixes expand and contract statements");
  Error at_line = Error::Input("m/V2.sql says it is an expand migration").At({"m/V2.sql", 1, 0});
  EXPECT_EQ(at_line.ToString(), "m/V2.sql:1: says it is an expand migration");
  Error other = Error::Input("m/V2.sqlite is not a migration").At({"m/V2.sql", 0, 0});
  EXPECT_EQ(other.ToString(), "m/V2.sql: m/V2.sqlite is not a migration");
}

}  // namespace
}  // namespace tide

namespace tide {
namespace {

TEST(FirstInvalidUtf8Test, AcceptsWellFormedTextAndFindsTheFirstBadByte) {
  EXPECT_EQ(FirstInvalidUtf8("plain ascii"), std::string_view::npos);
  EXPECT_EQ(FirstInvalidUtf8("\xEF\xBB\xBF"
                             "BOM, \xC3\xBC, \xE2\x82\xAC, \xF0\x9F\x98\x80"),
            std::string_view::npos);
  EXPECT_EQ(FirstInvalidUtf8("ab\xC3(cd"), 2u);         // truncated sequence
  EXPECT_EQ(FirstInvalidUtf8("\xC0\xAF"), 0u);          // overlong '/'
  EXPECT_EQ(FirstInvalidUtf8("x\xED\xA0\x80"), 1u);     // surrogate
  EXPECT_EQ(FirstInvalidUtf8("\xF4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(FirstInvalidUtf8("ok\xFF"), 2u);
  EXPECT_EQ(FirstInvalidUtf8("\xE2\x82"), 0u);  // cut at the end
  EXPECT_EQ(FirstInvalidUtf8(std::string_view("a\0b", 3)), 1u);
  EXPECT_EQ(FirstInvalidUtf8(std::string_view("a\0b", 3), false), std::string_view::npos);
}

}  // namespace
}  // namespace tide
