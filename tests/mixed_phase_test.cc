// Issue 15: the phase of a file judged on what its statements touch, and on the real database.
// Real projects' histories are full of files that both add and drop something: a table created
// and then trimmed in the same file, a view or function dropped and re-created, a column added
// and another dropped on a table still empty. They run where no release can break (a fresh
// database, CI) and are refused, with nothing changed, where one could.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "db_compare.h"
#include "harness.h"

namespace tide::testing {
namespace {

constexpr const char* kV1 =
    "CREATE TABLE accounts (id bigserial PRIMARY KEY, name text NOT NULL, legacy_code text);\n"
    "CREATE VIEW v_accounts AS SELECT id, name FROM accounts;\n"
    "CREATE FUNCTION account_label(p_id bigint) RETURNS text LANGUAGE sql AS "
    "$$ SELECT 'account ' || p_id $$;\n";

// Adds a column and drops another: expand and contract in one file.
constexpr const char* kMixed =
    "ALTER TABLE accounts ADD COLUMN nickname text;\n"
    "ALTER TABLE accounts DROP COLUMN legacy_code;\n";

class DbMixedPhaseTest : public DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    dir_.Write("migrations/V1__create.sql", kV1);
  }
  TideRun Tide(std::vector<std::string> args) {
    args.insert(args.begin(), {"--url", url()});
    return RunTide(args, dir_.path());
  }
  std::string Columns(const std::string& relation) {
    return Value(
        "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE "
        "attrelid = '" +
        relation + "'::regclass AND attnum > 0 AND NOT attisdropped");
  }
  static size_t Count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  }
  TempDir dir_;
};

TEST_F(DbMixedPhaseTest, AMixedFileRunsOnAnEmptyTableAndSaysWhyOnce) {
  // accounts exists before the run (created in the same run, V2 would not be mixed at all).
  ASSERT_EQ(Tide({"migrate", "--target", "1"}).exit_code, 0);
  dir_.Write("migrations/V2__mixed.sql", kMixed);
  TideRun r = Tide({"--json", "migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(Columns("accounts"), "id,name,nickname");
  auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["mixed_files"].size(), 1u) << r.out;
  EXPECT_EQ(doc["mixed_files"][0], "V2 mixed");
  EXPECT_NE(doc["mixed_files_why"].get<std::string>().find("no other session is connected"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(Count(r.err, "expand and contract statements as written"), 1u) << r.err;
  EXPECT_EQ(Count(r.err, "run together, a running release may break"), 0u) << r.err;
}

TEST_F(DbMixedPhaseTest, TheSameFileIsRefusedWhereARunningReleaseCouldBreak) {
  ASSERT_EQ(Tide({"migrate", "--target", "1"}).exit_code, 0);
  Sql("INSERT INTO accounts (name, legacy_code) SELECT 'a' || g, 'x' FROM generate_series(1, 50) "
      "g");
  dir_.Write("migrations/V2__mixed.sql", kMixed);
  Fingerprint before = TakeFingerprint(url());
  {
    // The old release is connected: refused, nothing changed.
    auto app = Connect("account-api/1.0");
    TideRun r = Tide({"migrate"});
    EXPECT_EQ(r.exit_code, 3) << r.all();
    EXPECT_NE(r.err.find("V2 mixed mixes expand and contract statements"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("account-api/1.0"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("line 2: ALTER TABLE accounts DROP COLUMN legacy_code"), std::string::npos)
        << r.err;
    // The error names its file once.
    EXPECT_EQ(Count(r.err, "V2__mixed.sql"), 1u) << r.err;
    ExpectSameDatabase(TakeFingerprint(url()), before, "refused with a session connected");
  }
  // The server ends the closed session's backend a moment after the client leaves.
  for (int i = 0; i < 100 && Value("SELECT count(*) FROM pg_stat_activity WHERE "
                                   "application_name = 'account-api/1.0'") != "0";
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // Nobody connected, but the table it contracts is over small_table_rows: refused too.
  dir_.Write("tide.toml", "[backfill]\nsmall_table_rows = 10\n");
  TideRun r = Tide({"migrate"});
  EXPECT_EQ(r.exit_code, 3) << r.all();
  EXPECT_NE(r.err.find("it contracts accounts, which holds more than small_table_rows (10)"),
            std::string::npos)
      << r.err;
  ExpectSameDatabase(TakeFingerprint(url()), before, "refused on a table over small_table_rows");
  // Under the default small_table_rows (10,000) and with nobody connected, it runs.
  dir_.Write("tide.toml", "");
  r = Tide({"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(Columns("accounts"), "id,name,nickname");
}

TEST_F(DbMixedPhaseTest, AViewReplacementIsJudgedOnTheColumnsTheDatabaseHas) {
  ASSERT_EQ(Tide({"migrate", "--target", "1"}).exit_code, 0);
  auto app = Connect("account-api/1.0");
  // The same columns and one more: an expand, which tide expand runs while the app is connected.
  dir_.Write("migrations/V2__view_more.sql",
             "DROP VIEW v_accounts;\n"
             "CREATE VIEW v_accounts AS SELECT id, name, upper(name) AS shout FROM accounts;\n");
  // One column fewer: a contract, which waits for tide contract.
  dir_.Write("migrations/V3__view_fewer.sql",
             "DROP VIEW v_accounts;\n"
             "CREATE VIEW v_accounts AS SELECT id, upper(name) AS shout FROM accounts;\n");
  TideRun info = Tide({"--json", "info"});
  ASSERT_EQ(info.exit_code, 0) << info.all();
  auto doc = nlohmann::json::parse(info.out);
  EXPECT_EQ(doc["migrations"][1]["phase"], "expand") << info.out;
  TideRun r = Tide({"expand"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(Columns("v_accounts"), "id,name,shout");
  EXPECT_NE(r.out.find("Stopped before V3 view fewer (contract)"), std::string::npos) << r.all();
  // Now the database has name in the view: V3 drops it.
  info = Tide({"--json", "info"});
  doc = nlohmann::json::parse(info.out);
  EXPECT_EQ(doc["migrations"][2]["phase"], "contract") << info.out;
}

TEST_F(DbMixedPhaseTest, StatementsOnObjectsCreatedInTheFileOrRunAreNeutral) {
  ASSERT_EQ(Tide({"migrate", "--target", "1"}).exit_code, 0);
  auto app = Connect("account-api/1.0");
  // A table created and trimmed in one file, a function replaced: no release uses either
  // change's old shape, so tide expand runs them while the old release is connected.
  dir_.Write("migrations/V2__invoices.sql",
             "CREATE TABLE invoices (id bigint PRIMARY KEY, old_number text);\n"
             "ALTER TABLE invoices DROP COLUMN old_number;\n"
             "ALTER TABLE invoices ADD COLUMN number text NOT NULL;\n"
             "CREATE UNIQUE INDEX invoices_number ON invoices (number);\n");
  dir_.Write("migrations/V3__label.sql",
             "DROP FUNCTION account_label(bigint);\n"
             "CREATE FUNCTION account_label(p_id bigint) RETURNS text LANGUAGE sql AS "
             "$$ SELECT 'acct ' || p_id $$;\n");
  // A table created by an earlier file of this same run is as new.
  dir_.Write("migrations/V4__trim_invoices.sql",
             "ALTER TABLE invoices ALTER COLUMN number DROP NOT NULL;\n"
             "ALTER TABLE invoices ADD CONSTRAINT invoices_number_check CHECK (number <> '');\n"
             "ALTER TABLE accounts ADD COLUMN invoice_count int;\n");
  TideRun r = Tide({"expand"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(r.out.find("Stopped before"), std::string::npos) << r.out;
  EXPECT_EQ(Columns("invoices"), "id,number");
  EXPECT_EQ(Value("SELECT account_label(7)"), "acct 7");
  EXPECT_EQ(Value("SELECT count(*) FROM flyway_schema_history WHERE success AND version IN "
                  "('2', '3', '4')"),
            "3");
}

}  // namespace
}  // namespace tide::testing
