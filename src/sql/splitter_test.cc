#include "sql/splitter.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "sql/parser.h"

namespace tide::sql {
namespace {

// The text of each piece the scan cuts, ends included.
std::vector<std::string> Pieces(std::string_view script) {
  ScriptScan scan = ScanScript(script);
  std::vector<std::string> out;
  size_t begin = 0;
  for (size_t end : scan.ends) {
    out.emplace_back(script.substr(begin, end - begin));
    begin = end;
  }
  if (begin < script.size()) out.emplace_back(script.substr(begin));
  return out;
}

TEST(SplitterTest, SemicolonsInsideQuotesCommentsAndBodiesEndNothing) {
  EXPECT_EQ(
      Pieces("SELECT ';', \"a;b\", E'\\';', $f$ ; $f$, $$;$$; SELECT 2;"),
      (std::vector<std::string>{"SELECT ';', \"a;b\", E'\\';', $f$ ; $f$, $$;$$;", " SELECT 2;"}));
  // Standard strings take no backslash escapes: the quote after \ ends the string.
  EXPECT_EQ(Pieces("SELECT 'a\\'; SELECT 2;"),
            (std::vector<std::string>{"SELECT 'a\\';", " SELECT 2;"}));
  EXPECT_EQ(Pieces("/* a; /* b; */ c; */ SELECT 1; -- d;\nSELECT 2;"),
            (std::vector<std::string>{"/* a; /* b; */ c; */ SELECT 1;", " -- d;\nSELECT 2;"}));
  EXPECT_EQ(Pieces("CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); "
                   "INSERT INTO b VALUES (2)); SELECT 1;"),
            (std::vector<std::string>{"CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a "
                                      "VALUES (1); INSERT INTO b VALUES (2));",
                                      " SELECT 1;"}));
  EXPECT_EQ(Pieces("CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC "
                   "SELECT CASE WHEN true THEN 1 END; SELECT 2; END; BEGIN; COMMIT;"),
            (std::vector<std::string>{"CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql "
                                      "BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; SELECT 2; "
                                      "END;",
                                      " BEGIN;", " COMMIT;"}));
  // A parameter is not a dollar quote; a dollar sign inside a name is part of it.
  EXPECT_EQ(Pieces("SELECT $1; SELECT a$b$; SELECT 2;").size(), 3u);
}

TEST(SplitterTest, CommentsAreBlankedKeepingOffsetsAndLines) {
  std::string script = "SELECT 1 /* ü /* ; */\n */ + 2; -- 東京\nSELECT '/* kept */';";
  ScriptScan scan = ScanScript(script);
  ASSERT_EQ(scan.blanked.size(), script.size());
  EXPECT_EQ(scan.blanked.find("/*"), scan.blanked.find("'/* kept */'") + 1);
  EXPECT_EQ(std::count(scan.blanked.begin(), scan.blanked.end(), '\n'), 2);
  EXPECT_EQ(scan.blanked.substr(0, 9), "SELECT 1 ");
  EXPECT_EQ(scan.blanked.find("+ 2;"), script.find("+ 2;"));
  // An unterminated comment stays, so that the parser reports it.
  EXPECT_EQ(ScanScript("SELECT 1; /* open /* */").blanked, "SELECT 1; /* open /* */");
}

TEST(SplitterTest, ParsingInPiecesGivesWhatOnePieceGives) {
  std::string script = "CREATE TABLE t (id int, note text);\n";
  for (int i = 0; i < 300; ++i) {
    script += fmt::format("/* {0} /* nested; */ */ INSERT INTO t VALUES ({0}, 'é;{0}');\n", i);
    if (i % 50 == 0) script += "ALTER TABLE t ADD COLUMN c" + std::to_string(i) + " int;\n";
  }
  auto whole = ParseScript(script, "V1__x.sql");
  ASSERT_TRUE(whole.ok()) << whole.error().ToString();
  for (size_t piece : {size_t{1}, size_t{100}, size_t{4096}}) {
    std::vector<Statement> cut;
    ASSERT_TRUE(ForEachStatement(
                    script, "V1__x.sql",
                    [&](Statement&& st) -> Status {
                      cut.push_back(std::move(st));
                      return Ok();
                    },
                    piece)
                    .ok());
    ASSERT_EQ(cut.size(), whole->size());
    for (size_t i = 0; i < cut.size(); ++i) {
      EXPECT_EQ(cut[i].text, (*whole)[i].text);
      EXPECT_EQ(cut[i].offset, (*whole)[i].offset);
      EXPECT_EQ(cut[i].line, (*whole)[i].line);
      EXPECT_EQ(cut[i].column, (*whole)[i].column);
      EXPECT_EQ(cut[i].end_line, (*whole)[i].end_line);
      EXPECT_EQ(cut[i].node_type, (*whole)[i].node_type);
      // Locations count from the piece: the same place in the file.
      if (cut[i].node_type == "InsertStmt") {
        EXPECT_EQ(cut[i].tree_base + cut[i].tree["relation"]["location"].get<size_t>(),
                  (*whole)[i].tree_base + (*whole)[i].tree["relation"]["location"].get<size_t>());
      }
    }
  }
}

// A cut the scan gets wrong (psql's BEGIN ... END rule does not know `t.end`) makes the piece
// fail to parse; the rest of the file is then parsed in one piece, and nothing changes.
TEST(SplitterTest, AWrongCutFallsBackToTheParser) {
  std::string body =
      "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT t.end FROM t; "
      "SELECT 2; END;\nSELECT 3;\n";
  auto parsed = ForEachStatement(
      "SELECT 1;\n" + body, "V1__f.sql", [](Statement&&) -> Status { return Ok(); }, 1);
  EXPECT_TRUE(parsed.ok());
  auto statements = ParseScript("SELECT 1;\n" + body, "V1__f.sql");
  ASSERT_TRUE(statements.ok());
  std::vector<Statement> cut;
  ASSERT_TRUE(ForEachStatement(
                  "SELECT 1;\n" + body, "V1__f.sql",
                  [&](Statement&& st) -> Status {
                    cut.push_back(std::move(st));
                    return Ok();
                  },
                  1)
                  .ok());
  ASSERT_EQ(cut.size(), 3u);
  EXPECT_EQ(cut[1].node_type, "CreateFunctionStmt");
  EXPECT_EQ(cut[1].line, 2);
  EXPECT_EQ(cut[2].text, "SELECT 3");
  EXPECT_EQ(cut[2].line, 3);
}

// Line numbers after a statement bigger than a piece, and a syntax error's line and column
// in a later piece after multi-byte text (libpg_query counts characters).
TEST(SplitterTest, LinesAndErrorsAfterABigStatement) {
  std::string big = "INSERT INTO t VALUES ";
  for (int i = 0; i < 40000; ++i) big += fmt::format("{}({}, 'ü{}')\n", i ? "," : "", i, i);
  std::string script = "SELECT 1;\n" + big + ";\nSELECT 'ééé';\nSELECT 'ü', 東京 FROM;\n";
  auto parsed = ParseScript(script, "V9__big.sql");
  ASSERT_FALSE(parsed.ok());
  ASSERT_TRUE(parsed.error().location().has_value());
  EXPECT_EQ(parsed.error().location()->line, 40000 + 4);
  // The error is at the ';' (PostgreSQL: syntax error at or near ";"). Columns count bytes, as
  // everywhere in tide: "SELECT 'ü', 東京 FROM" is 24 bytes (20 characters).
  EXPECT_EQ(parsed.error().location()->column, 25);
  auto good = ParseScript("SELECT 1;\n" + big + ";\nSELECT 'ééé';\n  SELECT 2;\n", "V9.sql");
  ASSERT_TRUE(good.ok());
  ASSERT_EQ(good->size(), 4u);
  EXPECT_EQ((*good)[3].line, 40000 + 4);
  EXPECT_EQ((*good)[3].column, 3);
}

TEST(SplitterTest, DeeplyNestedCommentsAreOneComment) {
  std::string script = "SELECT 1;\n";
  for (int i = 0; i < 50000; ++i) script += "/*";
  script += " ; ";
  for (int i = 0; i < 50000; ++i) script += "*/";
  script += "\nUPDATE t SET a = 1;";
  auto parsed = ParseScript(script, "V1__c.sql");
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[1].text, "UPDATE t SET a = 1");
  EXPECT_EQ((*parsed)[1].line, 3);
  auto open = ParseScript("SELECT 1;\n/* /* */\nSELECT 2;", "V1__o.sql");
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.error().message().find("unterminated"), std::string::npos);
}

}  // namespace
}  // namespace tide::sql
