#include "sql/parser.h"

#include <gtest/gtest.h>

namespace tide::sql {
namespace {

TEST(ParserTest, SplitsStatementsWithLinesAndTypes) {
  std::string script =
      "-- header comment\n"
      "ALTER TABLE customers ADD COLUMN email VARCHAR(255);\n"
      "\n"
      "/* a block */ UPDATE customers\n"
      "SET email = 'x'\n"
      "WHERE email IS NULL;\n"
      "-- trailing comment\n";
  auto parsed = ParseScript(script, "V1.1__x.sql");
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].node_type, "AlterTableStmt");
  EXPECT_EQ((*parsed)[0].line, 2);
  EXPECT_EQ((*parsed)[0].text, "ALTER TABLE customers ADD COLUMN email VARCHAR(255)");
  EXPECT_EQ((*parsed)[1].node_type, "UpdateStmt");
  EXPECT_EQ((*parsed)[1].line, 4);
  EXPECT_EQ((*parsed)[1].column, 15);
  EXPECT_EQ((*parsed)[1].end_line, 6);
  EXPECT_EQ((*parsed)[1].tree["relation"]["relname"], "customers");
}

TEST(ParserTest, SyntaxErrorNamesFileLineAndColumn) {
  auto parsed = ParseScript("SELECT 1;\nALTER TABLE t ADD COLUMN;\n", "V2__bad.sql");
  ASSERT_FALSE(parsed.ok());
  const Error& e = parsed.error();
  EXPECT_EQ(e.kind(), ErrorKind::kInput);
  ASSERT_TRUE(e.location().has_value());
  EXPECT_EQ(e.location()->file, "V2__bad.sql");
  EXPECT_EQ(e.location()->line, 2);
  EXPECT_EQ(e.location()->column, 25);
  EXPECT_NE(e.ToString().find("V2__bad.sql:2:25"), std::string::npos);
}

TEST(ParserTest, DollarQuotedBodiesStayInOneStatement) {
  auto parsed = ParseScript(
      "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\nSELECT 2;", "f.sql");
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].node_type, "CreateFunctionStmt");
}

TEST(ParserTest, ExpressionParses) {
  auto e = ParseExpression("lower(name) || '@x'");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->contains("A_Expr"));
  EXPECT_FALSE(ParseExpression("1 FROM t").ok());
  EXPECT_FALSE(ParseExpression("(").ok());
  EXPECT_FALSE(ParseExpression("1 UNION SELECT 2").ok());
  // Bytes that are not UTF-8 make libpg_query's JSON unreadable: an input error, not a throw.
  auto bad = ParseExpression("coalesce(\xa4" "email, 'x')");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind(), ErrorKind::kInput);
}

// Thousands of chained operators (found by the classifier fuzzer) end in an input error naming
// the file, not in a stack overflow.
TEST(ParserTest, DeeplyNestedStatementIsAnInputError) {
  std::string sql = "UPDATE t SET a = 1";
  for (int i = 0; i < 5000; ++i) sql += " + a";
  auto parsed = ParseScript(sql + ";\n", "V3__deep.sql");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().kind(), ErrorKind::kInput);
  EXPECT_NE(parsed.error().ToString().find("V3__deep.sql"), std::string::npos);
  EXPECT_NE(parsed.error().ToString().find("levels deep"), std::string::npos);
  std::string modest = "UPDATE t SET a = 1";
  for (int i = 0; i < 300; ++i) modest += " + a";
  EXPECT_TRUE(ParseScript(modest + ";\n", "V3__ok.sql").ok());
}

TEST(ParserTest, ScanFindsKeywordTokens) {
  auto tokens = Scan("CREATE INDEX idx ON t (a)");
  ASSERT_TRUE(tokens.ok());
  ASSERT_GE(tokens->size(), 4u);
  EXPECT_EQ((*tokens)[1].kind, "INDEX");
  EXPECT_EQ((*tokens)[1].start, 7);
  EXPECT_TRUE((*tokens)[1].keyword);
  EXPECT_EQ((*tokens)[2].kind, "IDENT");
}

}  // namespace
}  // namespace tide::sql
