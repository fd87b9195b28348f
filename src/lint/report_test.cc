#include "lint/report.h"

#include <gtest/gtest.h>

#include "lint/lint_testing.h"

namespace tide::lint {
namespace {

LintRun RunOf(const std::string& sql) {
  return LintRun{{}, {testing::LintFiles({{"db/V2__index.sql", sql}}).front()}, {}};
}

TEST(LintReport, TextIsCompilerStyleWithACaret) {
  std::string text = TextReport(RunOf("SELECT 1;\n  TRUNCATE customers;\n"), false);
  EXPECT_NE(text.find("db/V2__index.sql:2:3: error[truncate]: TRUNCATE deletes every row of "
                      "customers\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(" 2 |   TRUNCATE customers;\n"), std::string::npos) << text;
  EXPECT_NE(text.find("   |   ^^^^^^^^^^^^^^^^^^\n"), std::string::npos) << text;
  EXPECT_NE(text.find("= why: "), std::string::npos);
  EXPECT_NE(text.find("= help: "), std::string::npos);
  EXPECT_NE(text.find("tide lint: 1 file, 2 statements: 1 error, 0 warnings, 0 notes"),
            std::string::npos);
  EXPECT_EQ(text.find("\033["), std::string::npos);  // no colour unless asked
  EXPECT_NE(TextReport(RunOf("TRUNCATE customers;"), true).find("\033[1;31m"), std::string::npos);
}

TEST(LintReport, TextSaysWhatTideMigrateDoes) {
  std::string text = TextReport(RunOf("CREATE INDEX i ON customers (email);"), false);
  EXPECT_NE(text.find("note[create-index-non-concurrent]"), std::string::npos) << text;
  EXPECT_NE(text.find("= tide migrate makes it safe: "), std::string::npos) << text;
  EXPECT_EQ(text.find("= help: "), std::string::npos) << text;  // nothing for the user to do
  EXPECT_NE(text.find("(1 made safe by tide migrate)"), std::string::npos) << text;
  EXPECT_NE(TextReport(RunOf("SELECT 1;"), false).find("no findings"), std::string::npos);
  // tide -q lint: notes left out, still counted.
  std::string quiet = TextReport(RunOf("CREATE INDEX i ON customers (email);"), false, true);
  EXPECT_EQ(quiet.find("note["), std::string::npos) << quiet;
  EXPECT_NE(quiet.find("1 note"), std::string::npos) << quiet;
}

TEST(LintReport, JsonHasOneObjectPerFinding) {
  auto doc = JsonReport(RunOf("CREATE INDEX i ON customers (email);\nTRUNCATE customers;"));
  ASSERT_EQ(doc["findings"].size(), 2u);
  const auto& f = doc["findings"][0];
  for (const char* key :
       {"file", "line", "column", "end", "rule", "severity", "message", "help", "auto_safe"}) {
    EXPECT_TRUE(f.contains(key)) << key;
  }
  EXPECT_EQ(f["file"], "db/V2__index.sql");
  EXPECT_EQ(f["end"]["line"], 1);
  EXPECT_EQ(f["end"]["column"], 35);
  EXPECT_EQ(f["severity"], "note");
  EXPECT_EQ(f["rule_severity"], "error");
  EXPECT_EQ(f["auto_safe"], true);
  EXPECT_EQ(doc["findings"][1]["auto_safe"], false);
  EXPECT_EQ(doc["summary"]["exit_code"], 1);
}

TEST(LintReport, SarifTwoPointOne) {
  auto doc = SarifReport(RunOf("SELECT 'é';\nTRUNCATE customers;"));
  EXPECT_EQ(doc["version"], "2.1.0");
  const auto& run = doc["runs"][0];
  EXPECT_EQ(run["tool"]["driver"]["name"], "tide");
  EXPECT_EQ(run["tool"]["driver"]["rules"].size(), AllRules().size() + 1);  // + syntax-error
  ASSERT_EQ(run["results"].size(), 1u);
  const auto& result = run["results"][0];
  EXPECT_EQ(result["ruleId"], "truncate");
  EXPECT_EQ(result["level"], "error");
  int index = result["ruleIndex"];
  EXPECT_EQ(run["tool"]["driver"]["rules"][index]["id"], "truncate");
  const auto& location = result["locations"][0]["physicalLocation"];
  EXPECT_EQ(location["artifactLocation"]["uri"], "db/V2__index.sql");
  EXPECT_EQ(location["region"]["startLine"], 2);
  EXPECT_EQ(location["region"]["startColumn"], 1);
  EXPECT_EQ(location["region"]["endColumn"], 19);  // exclusive
}

TEST(LintReport, ColumnsInCodePoints) {
  LineIndex lines("SELECT 1;\r\nSELECT 'é', 1;\rx\n");
  EXPECT_EQ(lines[2], "SELECT 'é', 1;");
  EXPECT_EQ(lines[3], "x");
  EXPECT_EQ(lines[9], "");
  EXPECT_EQ(CodePointColumn(lines[2], 1), 1);
  EXPECT_EQ(CodePointColumn(lines[2], 12), 11);  // after the two-byte é
}

}  // namespace
}  // namespace tide::lint
