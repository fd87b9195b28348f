// tide lint as CI runs it: the binary, its exit codes and formats. No database needed.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "harness.h"

namespace tide::testing {
namespace {

TEST(LintCli, SeedFolderIsSafeUnderTideAndNotAsWritten) {
  TempDir dir;
  std::filesystem::copy(CustomersMigrations(), dir.path() / "migrations");
  TideRun r = RunTide({"lint", "migrations"}, dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("V1.1__add_email_column.sql:7:1: note[backfill-in-ddl-transaction]"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("4 made safe by tide migrate"), std::string::npos) << r.out;
  // With no path, the configured locations (default: migrations).
  EXPECT_EQ(RunTide({"lint"}, dir.path()).out, r.out);
  TideRun strict = RunTide({"lint", "--as-written", "migrations"}, dir.path());
  EXPECT_EQ(strict.exit_code, 1) << strict.all();
}

// Issue 15: a folder whose files miss the naming rule linted "0 files" and exited 0.
TEST(LintCli, AFolderWithNoMigrationNamedSaysSo) {
  TempDir dir;
  dir.Write("db/001_init.sql", "CREATE TABLE t (id int);\n");
  dir.Write("db/002_more.sql", "ALTER TABLE t ADD COLUMN a int;\n");
  TideRun r = RunTide({"lint", "db"}, dir.path());
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.out.find("none of its 2 SQL files is named like a migration"), std::string::npos)
      << r.all();
  EXPECT_NE(r.out.find("001_init.sql, 002_more.sql"), std::string::npos) << r.out;
  // An empty folder (tide init's) is said, and is no error.
  std::filesystem::create_directories(dir.path() / "empty");
  TideRun empty = RunTide({"lint", "empty"}, dir.path());
  EXPECT_EQ(empty.exit_code, 0) << empty.all();
  EXPECT_NE(empty.err.find("holds no migration"), std::string::npos) << empty.all();
}

TEST(LintCli, ExitCodesAndFormats) {
  TempDir dir;
  dir.Write("V1__bad.sql", "ALTER TABLE customers ADD COLUMN;\n");
  dir.Write("V2__truncate.sql", "TRUNCATE customers;\n");
  TideRun bad = RunTide({"lint", "V1__bad.sql"}, dir.path());
  EXPECT_EQ(bad.exit_code, 2) << bad.all();
  EXPECT_NE(bad.out.find("V1__bad.sql:1:33: error[syntax-error]"), std::string::npos) << bad.out;
  TideRun error = RunTide({"lint", "--format", "json", "V2__truncate.sql"}, dir.path());
  EXPECT_EQ(error.exit_code, 1);
  auto doc = nlohmann::json::parse(error.out);
  EXPECT_EQ(doc["findings"][0]["rule"], "truncate");
  TideRun global = RunTide({"--json", "lint", "V2__truncate.sql"}, dir.path());
  EXPECT_EQ(nlohmann::json::parse(global.out)["findings"].size(), 1u);  // one document only
  TideRun sarif = RunTide({"lint", "--format", "sarif", "V2__truncate.sql"}, dir.path());
  EXPECT_EQ(nlohmann::json::parse(sarif.out)["version"], "2.1.0");
  EXPECT_EQ(RunTide({"lint", "missing.sql"}, dir.path()).exit_code, 2);
  EXPECT_EQ(RunTide({"lint", "--pg-version", "11", "V2__truncate.sql"}, dir.path()).exit_code, 2);
  EXPECT_EQ(RunTide({"lint", "--list-rules"}, dir.path()).exit_code, 0);
}

}  // namespace
}  // namespace tide::testing
