// Rules about data changes, releases and phases, what lint cannot see, and its directives.
#include <gtest/gtest.h>

#include "lint/lint_testing.h"

namespace tide::lint {
namespace {

using testing::Has;
using testing::LintFiles;
using testing::LintSql;
using testing::Of;

TEST(LintDataRules, BackfillInDdlTransactionIsTheSeedsV1_1) {
  auto r = LintSql(
      "ALTER TABLE customers ADD COLUMN email VARCHAR(255);\n"
      "UPDATE customers SET email = lower(name) || '@legacy.example.com' "
      "WHERE email IS NULL;");
  Finding f = TIDE_ONE_FINDING(r, "backfill-in-ddl-transaction");
  EXPECT_EQ(f.line, 2);
  EXPECT_NE(f.message.find("line 1"), std::string::npos);
  EXPECT_NE(f.reason.find("ACCESS EXCLUSIVE"), std::string::npos);
  EXPECT_TRUE(f.auto_safe);  // tide batches it, each batch committed on its own
  EXPECT_FALSE(Has(r, "unbatched-backfill"));
  // Committed in between: only the (milder) unbatched finding.
  auto committed = LintSql(
      "ALTER TABLE customers ADD COLUMN email VARCHAR(255);\nCOMMIT;\n"
      "UPDATE customers SET email = 'x' WHERE email IS NULL;");
  EXPECT_FALSE(Has(committed, "backfill-in-ddl-transaction"));
  EXPECT_TRUE(Has(committed, "unbatched-backfill"));
  // A targeted UPDATE, or the DDL on a table the file creates: fine.
  EXPECT_TRUE(LintSql("ALTER TABLE customers ADD COLUMN email VARCHAR(255);\n"
                      "UPDATE customers SET email = 'x' WHERE id = 42;")
                  .findings.empty());
  EXPECT_FALSE(Has(LintSql("CREATE TABLE t (a int);\nCREATE INDEX t_a ON t (a);\n"
                           "UPDATE customers SET name = trim(name);"),
                   "backfill-in-ddl-transaction"));
}

TEST(LintDataRules, UnbatchedBackfill) {
  Finding f = TIDE_ONE_FINDING(LintSql("DELETE FROM events WHERE created_at < now() - "
                                       "interval '1 year';"),
                               "unbatched-backfill");
  EXPECT_EQ(f.rule_severity, Severity::kWarning);
  EXPECT_TRUE(f.auto_safe);
  // RETURNING cannot be batched: tide runs it as written, the file must change.
  EXPECT_FALSE(
      TIDE_ONE_FINDING(LintSql("UPDATE events SET seen = true RETURNING id;"), "unbatched-backfill")
          .auto_safe);
  EXPECT_TRUE(LintSql("UPDATE events SET seen = true WHERE id IN (1, 2, 3);").findings.empty());
  EXPECT_TRUE(LintSql("CREATE TABLE t (a int);\nUPDATE t SET a = 1;").findings.empty());
}

TEST(LintDataRules, EnumValueInTransaction) {
  auto r = LintSql(
      "ALTER TYPE order_status ADD VALUE 'refunded';\n"
      "UPDATE orders SET status = 'refunded' WHERE id = 7;");
  Finding f = TIDE_ONE_FINDING(r, "enum-value-in-transaction");
  EXPECT_EQ(f.line, 2);
  EXPECT_TRUE(f.auto_safe);  // ADD VALUE commits on its own under tide migrate
  EXPECT_FALSE(Has(LintSql("ALTER TYPE order_status ADD VALUE 'refunded';\nCOMMIT;\n"
                           "UPDATE orders SET status = 'refunded' WHERE id = 7;"),
                   "enum-value-in-transaction"));
  EXPECT_TRUE(LintSql("ALTER TYPE order_status ADD VALUE 'refunded';\n"
                      "UPDATE orders SET status = 'paid' WHERE id = 7;")
                  .findings.empty());
}

TEST(LintReleaseRules, Renames) {
  Finding column = TIDE_ONE_FINDING(LintSql("ALTER TABLE customers RENAME COLUMN contact_info TO "
                                            "email;"),
                                    "rename-column");
  EXPECT_FALSE(column.auto_safe);
  EXPECT_NE(column.message.find("contact_info TO email"), std::string::npos);
  EXPECT_TRUE(Has(LintSql("ALTER TABLE customers RENAME TO clients;"), "rename-table"));
  // The recipe itself: a view keeps the old name working.
  EXPECT_FALSE(Has(LintSql("ALTER TABLE customers RENAME TO clients;\n"
                           "CREATE VIEW customers AS SELECT * FROM clients;"),
                   "rename-table"));
  EXPECT_TRUE(LintSql("CREATE TABLE t (a int);\nALTER TABLE t RENAME COLUMN a TO b;\n"
                      "ALTER TABLE t RENAME TO u;")
                  .findings.empty());
}

TEST(LintReleaseRules, MixedPhases) {
  auto r = LintSql(
      "ALTER TABLE customers ADD COLUMN email text;\n"
      "ALTER TABLE customers DROP COLUMN contact_info;");
  Finding f = TIDE_ONE_FINDING(r, "mixed-phases");
  EXPECT_EQ(f.line, 2);  // at the first contract statement
  EXPECT_NE(f.message.find("line 1"), std::string::npos);
  // One statement can do both.
  Finding one = TIDE_ONE_FINDING(LintSql("ALTER TABLE customers ADD COLUMN a int, DROP COLUMN b;"),
                                 "mixed-phases");
  EXPECT_NE(one.message.find("this statement both"), std::string::npos);
  // One phase per file: fine, including constraints on a table the file creates.
  EXPECT_TRUE(LintSql("ALTER TABLE customers DROP COLUMN contact_info;").findings.empty());
  EXPECT_TRUE(LintSql("CREATE TABLE invoices (id bigint, n text);\n"
                      "ALTER TABLE invoices ADD CONSTRAINT n_key UNIQUE (n);\n"
                      "ALTER TABLE invoices ADD CONSTRAINT n_check CHECK (n <> '');")
                  .findings.empty());
}

TEST(LintReleaseRules, ContractInExpandAndExpandInContract) {
  auto r = LintSql(
      "-- tide:phase expand\nALTER TABLE customers ADD COLUMN email text;\n"
      "ALTER TABLE customers DROP COLUMN contact_info;\nDROP TABLE legacy;");
  auto found = Of(r, "contract-in-expand");
  ASSERT_EQ(found.size(), 2u);
  EXPECT_NE(found[0].reason.find("contact_info"), std::string::npos);
  EXPECT_FALSE(Has(r, "mixed-phases"));  // the stated phase makes each statement the finding
  // A DROP in a contract migration, stated or inferred, is fine.
  EXPECT_TRUE(LintSql("-- tide:phase contract\nALTER TABLE customers DROP COLUMN contact_info;")
                  .findings.empty());
  auto late = LintSql(
      "-- tide:phase contract\nALTER TABLE customers DROP COLUMN contact_info;\n"
      "ALTER TABLE customers ADD COLUMN note text;");
  EXPECT_EQ(TIDE_ONE_FINDING(late, "expand-in-contract").line, 3);
}

TEST(LintReleaseRules, OldReleaseNullsNeedsTheFolder) {
  auto files =
      LintFiles({{"V1.1__add.sql",
                  "ALTER TABLE customers ADD COLUMN email VARCHAR(255);\nCOMMIT;\n"
                  "UPDATE customers SET email = 'x' WHERE email IS NULL;"},
                 {"V1.2__tighten.sql", "ALTER TABLE customers ALTER COLUMN email SET NOT NULL;"}});
  Finding f = TIDE_ONE_FINDING(files[1], "old-release-nulls");
  EXPECT_NE(f.message.find("V1.1__add.sql"), std::string::npos);
  EXPECT_TRUE(f.auto_safe);  // tide repeats V1.1's backfill over the rows still NULL first
  EXPECT_NE(f.migrate.find("V1.1__add.sql"), std::string::npos);
  // No backfill to repeat: the file must change.
  auto unfilled =
      LintFiles({{"V1__add.sql", "ALTER TABLE customers ADD COLUMN email text;"},
                 {"V2__tighten.sql", "ALTER TABLE customers ALTER COLUMN email SET NOT NULL;"}});
  EXPECT_FALSE(TIDE_ONE_FINDING(unfilled[1], "old-release-nulls").auto_safe);
  // A default fills the old release's rows; a file alone knows no history.
  auto defaulted =
      LintFiles({{"V1__add.sql", "ALTER TABLE customers ADD COLUMN tier text DEFAULT 'free';"},
                 {"V2__tighten.sql", "ALTER TABLE customers ALTER COLUMN tier SET NOT NULL;"}});
  EXPECT_FALSE(Has(defaulted[1], "old-release-nulls"));
  EXPECT_FALSE(
      Has(LintSql("ALTER TABLE customers ALTER COLUMN email SET NOT NULL;"), "old-release-nulls"));
}

TEST(LintOpaque, DoBlocksCallsAndMigrationFunctionsAreNotes) {
  Finding f = TIDE_ONE_FINDING(LintSql("DO $$ BEGIN PERFORM 1; END $$;"), "opaque-statement");
  EXPECT_EQ(f.severity, Severity::kNote);
  EXPECT_FALSE(f.auto_safe);
  EXPECT_TRUE(Has(LintSql("CALL archive_orders(2020);"), "opaque-statement"));
  auto r = LintSql(
      "CREATE FUNCTION fill_emails() RETURNS void LANGUAGE sql AS $$ SELECT 1 $$;\n"
      "SELECT fill_emails();");
  EXPECT_EQ(TIDE_ONE_FINDING(r, "opaque-statement").line, 2);
  EXPECT_TRUE(LintSql("SELECT setval('s', 10);").findings.empty());
}

TEST(LintDirectives, AllowNeedsAReasonAndAKnownRule) {
  auto r = LintSql(
      "-- tide:allow create-index-non-concurrent\n"
      "CREATE INDEX i ON customers (email);\n"
      "-- tide:allow volatile-defualt we know\n"
      "ALTER TABLE customers ADD COLUMN u uuid DEFAULT gen_random_uuid();\n");
  // The allow without a reason still applies, and is an error of its own.
  EXPECT_FALSE(Has(r, "create-index-non-concurrent"));
  EXPECT_EQ(TIDE_ONE_FINDING(r, "allow-without-reason").line, 1);
  // A misspelt rule allows nothing, and says what was meant.
  EXPECT_TRUE(Has(r, "volatile-default"));
  Finding typo = TIDE_ONE_FINDING(r, "unknown-directive");
  EXPECT_NE(typo.message.find("did you mean 'volatile-default'"), std::string::npos);
  // Misplaced (not right above a statement) and unknown phases are reported too.
  auto misplaced = LintSql("-- tide:allow truncate cleanup\n\nTRUNCATE customers;\n");
  EXPECT_TRUE(Has(misplaced, "truncate"));
  EXPECT_TRUE(Has(misplaced, "unknown-directive"));
  EXPECT_TRUE(Has(LintSql("-- tide:phase contrcat\nSELECT 1;"), "unknown-directive"));
  EXPECT_TRUE(LintSql("-- tide:allow-file truncate staging cleanup agreed with ops\n"
                      "TRUNCATE customers;\n-- tide:allow all test fixture\nVACUUM FULL x;")
                  .findings.empty());
}

}  // namespace
}  // namespace tide::lint
