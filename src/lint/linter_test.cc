// The linter as a whole: the seed's files, what lint calls safe against what the planner does,
// syntax errors, and the run's exit code.
#include "lint/linter.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "lint/lint_testing.h"
#include "lint/report.h"

namespace tide::lint {
namespace {

using testing::Has;
using testing::LintFiles;
using testing::LintSql;

std::string Seed(const std::string& name) {
  std::ifstream in(std::string(TIDE_SOURCE_DIR) + "/examples/customers/migrations/" + name);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_FALSE(text.str().empty()) << name;
  return text.str();
}

TEST(LintSeed, TheCustomersScenarioAsAReviewerWantsIt) {
  auto files = LintFiles(
      {{"V1__create_customers.sql", Seed("V1__create_customers.sql")},
       {"V1.1__add_email_column.sql", Seed("V1.1__add_email_column.sql")},
       {"V1.2__remove_contact_info_column.sql", Seed("V1.2__remove_contact_info_column.sql")}});
  EXPECT_TRUE(files[0].findings.empty());  // a new table: nothing to lock out
  // V1.1: the backfill runs in the ADD COLUMN's transaction; tide batches it.
  ASSERT_EQ(files[1].findings.size(), 1u);
  const Finding& backfill = files[1].findings[0];
  EXPECT_EQ(backfill.rule, "backfill-in-ddl-transaction");
  EXPECT_EQ(backfill.line, 7);
  EXPECT_TRUE(backfill.auto_safe);
  EXPECT_EQ(files[1].phase, sql::Phase::kExpand);
  // V1.2: SET NOT NULL scans (tide goes through a check), the old release's NULLs (tide
  // catches up first), the index blocks writes (tide builds it concurrently). The DROP COLUMN
  // is fine: the file is a contract migration.
  std::vector<std::string> rules;
  for (const auto& f : files[2].findings) {
    rules.push_back(f.rule);
    EXPECT_TRUE(f.auto_safe) << f.rule;
    EXPECT_EQ(f.severity, Severity::kNote) << f.rule;
    EXPECT_EQ(f.rule_severity, Severity::kError) << f.rule;
  }
  EXPECT_EQ(rules, (std::vector<std::string>{"set-not-null", "old-release-nulls",
                                             "create-index-non-concurrent"}));
  EXPECT_EQ(files[2].phase, sql::Phase::kContract);
  LintRun run{{}, files, {}};
  EXPECT_EQ(ExitCode(run), 0);  // everything is made safe by tide migrate
  run.options.as_written = true;
  auto as_written = LintFiles({{"V1.1__add_email_column.sql", Seed("V1.1__add_email_column.sql")}},
                              {.as_written = true});
  EXPECT_EQ(as_written[0].findings[0].severity, Severity::kError);
  EXPECT_EQ(ExitCode({{.as_written = true}, as_written, {}}), 1);
}

// The statements of every rule's tests, and then some: lint and the planner must agree.
const char* kSamples[] = {
    "CREATE INDEX i ON customers (email);",
    "DROP INDEX i;",
    "DROP INDEX i CASCADE;",
    "REINDEX INDEX i;",
    "REINDEX TABLE customers;",
    "BEGIN;\nCREATE INDEX CONCURRENTLY i ON customers (email);\nCOMMIT;",
    "ALTER TABLE customers ADD COLUMN u uuid DEFAULT gen_random_uuid();",
    "ALTER TABLE customers ADD COLUMN n bigserial;",
    "ALTER TABLE customers ADD COLUMN l int GENERATED ALWAYS AS (length(name)) STORED;",
    "ALTER TABLE customers ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY;",
    "ALTER TABLE customers ALTER COLUMN email SET NOT NULL;",
    "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES customers (id);",
    "ALTER TABLE orders ADD CONSTRAINT ck CHECK (amount > 0), ADD COLUMN x int;",
    "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES customers (id) NOT VALID;\n"
    "ALTER TABLE orders VALIDATE CONSTRAINT fk;",
    "ALTER TABLE customers ADD CONSTRAINT k UNIQUE (email);",
    "ALTER TABLE customers ADD UNIQUE (email) WITH (fillfactor = 70);",
    "ALTER TABLE events ADD PRIMARY KEY (id);",
    "ALTER TABLE b ADD CONSTRAINT x EXCLUDE USING gist (room WITH =);",
    "ALTER TABLE orders ALTER COLUMN n TYPE bigint USING n::bigint;",
    "ALTER TABLE events SET TABLESPACE fast;",
    "ALTER TABLE events SET ACCESS METHOD heap2;",
    "VACUUM FULL customers;",
    "VACUUM FULL;",
    "CLUSTER customers;",
    "LOCK TABLE customers;",
    "ALTER TABLE customers ADD COLUMN email text;\nUPDATE customers SET email = 'x';",
    "DELETE FROM events WHERE seen;",
    "ALTER TYPE s ADD VALUE 'v';\nUPDATE orders SET status = 'v' WHERE id = 1;",
    "DO $$ BEGIN END $$;",
};

TEST(LintAgreesWithThePlanner, RefusalsAreFindingsAndSafeFindingsAreNotes) {
  for (const char* sql : kSamples) {
    auto script = sql::ClassifyScript(sql, "V9__sample.sql");
    ASSERT_TRUE(script.ok()) << sql;
    plan::OfflineCatalog catalog;
    plan::Planner planner(catalog, {});
    auto plan = planner.PlanScript(*script);
    ASSERT_TRUE(plan.ok()) << sql;
    FileReport report = LintSql(sql);
    // Everything tide migrate refuses, lint reports, and never as safe.
    for (const auto& refusal : plan->refusals) {
      bool reported = false;
      for (const auto& f : report.findings) {
        reported = reported ||
                   (f.rule == refusal.rule && f.statement == refusal.statement && !f.auto_safe);
      }
      EXPECT_TRUE(reported) << refusal.rule << " in: " << sql;
    }
    // What lint calls safe, the planner rewrote: it quotes the planner's own note.
    for (const auto& f : report.findings) {
      if (!f.auto_safe) continue;
      bool noted = false;
      for (const auto& n : plan->notes) noted = noted || n.text == f.migrate;
      EXPECT_TRUE(noted) << f.rule << " in: " << sql;
    }
    // And each rewrite the planner makes answers some finding of lint on that statement.
    for (const auto& n : plan->notes) {
      if (n.rule == "opaque-statement" || n.rule == "transaction-control" ||
          n.rule == "split-alter-table" || n.rule == "enum-value-own-transaction") {
        continue;  // not a fix of that statement (ADD VALUE's fix answers a later statement)
      }
      bool answered = false;
      for (const auto& f : report.findings) {
        answered = answered || (f.statement == n.statement && f.auto_safe);
      }
      EXPECT_TRUE(answered) << n.rule << " in: " << sql;
    }
  }
}

TEST(LintSyntax, ASyntaxErrorNamesFileLineAndColumn) {
  auto r = LintSql("SELECT 1;\nALTER TABLE t ADD COLUMN;\n");
  EXPECT_TRUE(r.syntax_error);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].rule, "syntax-error");
  EXPECT_EQ(r.findings[0].line, 2);
  EXPECT_EQ(r.findings[0].column, 25);
  EXPECT_EQ(ExitCode({{}, {r}, {}}), 2);
  // The next file of the run is still linted.
  auto files = LintFiles({{"V1__bad.sql", "ALTER TABLE;"}, {"V2__ok.sql", "TRUNCATE t;"}});
  EXPECT_TRUE(Has(files[1], "truncate"));
}

TEST(LintRun, ExitCodes) {
  EXPECT_EQ(ExitCode({{}, {LintSql("SELECT 1;")}, {}}), 0);
  EXPECT_EQ(ExitCode({{}, {LintSql("DROP INDEX i;")}, {}}), 0);  // a warning, and auto-safe
  EXPECT_EQ(ExitCode({{}, {LintSql("TRUNCATE t;")}, {}}), 1);
  EXPECT_EQ(ExitCode({{}, {}, {"nope: no such file or folder"}}), 2);
}

}  // namespace
}  // namespace tide::lint
