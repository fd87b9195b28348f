// Issue 15: lint follows a folder's history, so phases are judged on what each statement
// touches: objects a file creates are new there, and a view re-created in a later file is
// judged on the columns the file that created it wrote.
#include <gtest/gtest.h>

#include "lint/lint_testing.h"
#include "lint/report.h"

namespace tide::lint {
namespace {

using testing::Has;
using testing::LintFiles;
using testing::LintSql;

TEST(LintHistoryPhases, AFileThatCreatesAndTrimsATableIsOneExpand) {
  auto r = LintSql(
      "CREATE TABLE invoices (id bigint, old_number text, n text);\n"
      "ALTER TABLE invoices DROP COLUMN old_number;\n"
      "ALTER TABLE invoices ALTER COLUMN n SET NOT NULL;\n"
      "CREATE INDEX invoices_n ON invoices (n);\n"
      "ALTER TABLE invoices ADD COLUMN total numeric DEFAULT random();\n"
      "CREATE VIEW v_invoices AS SELECT id FROM invoices;\n"
      "DROP VIEW v_invoices;\n");
  EXPECT_TRUE(r.findings.empty()) << r.findings.front().rule << ": " << r.findings.front().message;
  EXPECT_EQ(r.phase, sql::Phase::kExpand);
}

TEST(LintHistoryPhases, AViewReplacedInALaterFileIsJudgedOnTheColumnsItHad) {
  const std::pair<std::string, std::string> v1 = {
      "V1__views.sql",
      "CREATE TABLE customers (id bigint PRIMARY KEY, name text, contact_info text);\n"
      "CREATE VIEW v_customers AS SELECT id, name, contact_info FROM customers;\n"};
  // The same columns and one more: an expand, no finding.
  auto same = LintFiles(
      {v1,
       {"V2__more.sql",
        "ALTER TABLE customers ADD COLUMN email text;\nDROP VIEW v_customers;\n"
        "CREATE VIEW v_customers AS SELECT id, name, contact_info, email FROM customers;\n"}});
  EXPECT_FALSE(Has(same[1], "mixed-phases"));
  EXPECT_EQ(same[1].phase, sql::Phase::kExpand);
  // Without contact_info: the replacement is a contract, and the file mixes.
  auto fewer = LintFiles({v1,
                          {"V2__fewer.sql",
                           "ALTER TABLE customers ADD COLUMN email text;\nDROP VIEW v_customers;\n"
                           "CREATE VIEW v_customers AS SELECT id, name, email FROM customers;\n"}});
  auto found = testing::Of(fewer[1], "mixed-phases");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].reason.find("without column contact_info (V1__views.sql, line 2)"),
            std::string::npos)
      << found[0].reason;
  // A view no earlier file created: its old columns are unknown, so it counts as a contract.
  auto unknown = LintSql(
      "ALTER TABLE customers ADD COLUMN email text;\nDROP VIEW v_other;\n"
      "CREATE VIEW v_other AS SELECT id FROM customers;\n");
  ASSERT_TRUE(Has(unknown, "mixed-phases"));
  EXPECT_NE(testing::Of(unknown, "mixed-phases")[0].reason.find("not known here"),
            std::string::npos);
}

TEST(LintHistoryPhases, AFunctionReplacedIsNeutral) {
  auto r = LintSql(
      "ALTER TABLE customers ADD COLUMN email text;\n"
      "DROP FUNCTION IF EXISTS label(bigint);\n"
      "CREATE FUNCTION label(id bigint) RETURNS text LANGUAGE sql AS 'select ''x''';\n");
  EXPECT_FALSE(Has(r, "mixed-phases"));
  EXPECT_EQ(r.phase, sql::Phase::kExpand);
}

TEST(LintHistoryPhases, SizeAssumptionIsSaidOnce) {
  LintRun run;
  run.files = LintFiles({{"V1__a.sql",
                          "CREATE INDEX a ON customers (name);\n"
                          "CREATE INDEX b ON customers (email);\n"},
                         {"V2__b.sql", "ALTER TABLE customers ADD CONSTRAINT c CHECK (id > 0);\n"}},
                        {.pg_version = 15, .as_written = true});
  std::string text = TextReport(run, false);
  size_t first = text.find("assume the table is big");
  ASSERT_NE(first, std::string::npos) << text;
  EXPECT_EQ(text.find("assume the table is big", first + 1), std::string::npos) << text;
  EXPECT_EQ(JsonReport(run)["summary"]["assume_big_table"], 3);
  // A file with no size-dependent finding says nothing of it.
  LintRun clean;
  clean.files = LintFiles({{"V1__a.sql", "CREATE TABLE t (id int);\n"}});
  EXPECT_EQ(TextReport(clean, false).find("big"), std::string::npos);
}

}  // namespace
}  // namespace tide::lint
