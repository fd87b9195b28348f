#include "sql/json_reader.h"

#include <gtest/gtest.h>
#include <pg_query.h>

namespace tide::sql {
namespace {

void ExpectSameAsNlohmann(const std::string& text) {
  auto ours = ReadJson(text);
  ASSERT_TRUE(ours.has_value()) << text;
  nlohmann::json theirs = nlohmann::json::parse(text);
  EXPECT_EQ(*ours, theirs) << text;
  EXPECT_EQ(ours->dump(), theirs.dump()) << text;
}

TEST(JsonReaderTest, MatchesNlohmannOnValues) {
  for (const char* text :
       {"{}", "[]", "0", "-0", "17", "-17", "18446744073709551615", "18446744073709551616",
        "-9223372036854775808", "-9223372036854775809", "1.5", "-2.5e3", "1E2", "true", "false",
        "null", "\"\"", "\"a\\\"b\\\\c\\/d\\n\\t\\r\\b\\f\"", "\"\\u00e9\\u20ac\\ud83d\\ude00\"",
        "\"caf\xc3\xa9\"", " { \"a\" : [ 1 , { \"b\" : null } ] , \"c\" : \"d\" } ",
        "{\"k\":1,\"k\":2}"}) {
    ExpectSameAsNlohmann(text);
  }
  // Types too: nlohmann reads non-negative integers as unsigned.
  EXPECT_TRUE(ReadJson("5")->is_number_unsigned());
  EXPECT_TRUE(ReadJson("-5")->is_number_integer());
  EXPECT_TRUE(ReadJson("5.0")->is_number_float());
}

TEST(JsonReaderTest, RejectsMalformedText) {
  for (const char* text : {"", "{", "[1,]", "{\"a\"}", "{\"a\":1,}", "\"open", "01", "1.",
                           "tru", "[1] x", "\"\\x\"", "\"\\ud800\"", "-", "{a:1}"}) {
    EXPECT_FALSE(ReadJson(text).has_value()) << text;
  }
}

TEST(JsonReaderTest, StopsAtItsDepthLimit) {
  auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_TRUE(ReadJson(nested(kMaxJsonDepth)).has_value());
  EXPECT_FALSE(ReadJson(nested(kMaxJsonDepth + 2)).has_value());
  EXPECT_FALSE(ReadJson(nested(1'000'000)).has_value());  // no stack overflow
}

TEST(JsonReaderTest, MatchesNlohmannOnParseTrees) {
  const char* sql =
      "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, n numeric(10,2) "
      "DEFAULT -1.5, s text DEFAULT E'caf\\u00e9 \"q\" \\\\ \\t');\n"
      "ALTER TABLE t ADD COLUMN x int DEFAULT -2147483648, ALTER COLUMN n SET NOT NULL;\n"
      "UPDATE t SET s = 'é€😀' WHERE id > 10 AND n IS NULL;\n"
      "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n"
      "SELECT 1e10, 0.5, -3, 99999999999999999999;\n";
  PgQueryParseResult parsed = pg_query_parse(sql);
  ASSERT_EQ(parsed.error, nullptr);
  std::string text = parsed.parse_tree;
  pg_query_free_parse_result(parsed);
  ExpectSameAsNlohmann(text);
}

}  // namespace
}  // namespace tide::sql
