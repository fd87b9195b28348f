// The foundation as a user drives it: the tide binary against a real cluster.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "harness.h"

namespace tide::testing {
namespace {

namespace fs = std::filesystem;

class CliFoundationTest : public DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    fs::copy(CustomersMigrations(), dir_.path() / "migrations");
  }
  TideRun Tide(std::vector<std::string> args) {
    args.insert(args.begin(), {"--url", url()});
    return RunTide(args, dir_.path());
  }
  nlohmann::json InfoJson() {
    TideRun r = Tide({"--json", "info"});
    EXPECT_EQ(r.exit_code, 0) << r.all();
    return nlohmann::json::parse(r.out);
  }
  std::string StateOf(const std::string& version) {
    nlohmann::json doc = InfoJson();
    for (const auto& m : doc["migrations"]) {
      if (m["version"] == version) return m["state"];
    }
    return "<none>";
  }
  TempDir dir_;
};

TEST_F(CliFoundationTest, CustomersScenarioStepByStepWithTargets) {
  EXPECT_EQ(StateOf("1"), "Pending");
  TideRun r = Tide({"migrate", "--target", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(StateOf("1"), "Success");
  EXPECT_EQ(StateOf("1.1"), "Pending");
  EXPECT_EQ(Value("SELECT count(*) FROM information_schema.columns WHERE table_name = "
                  "'customers' AND column_name = 'email'"),
            "0");

  r = Tide({"migrate", "--target", "1.1"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(StateOf("1.1"), "Success");
  EXPECT_EQ(StateOf("1.2"), "Pending");
  EXPECT_EQ(Value("SELECT count(*) FROM information_schema.columns WHERE table_name = "
                  "'customers' AND column_name = 'email'"),
            "1");

  r = Tide({"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(StateOf("1.2"), "Success");
  EXPECT_EQ(Value("SELECT count(*) FROM information_schema.columns WHERE table_name = "
                  "'customers' AND column_name = 'contact_info'"),
            "0");
  EXPECT_EQ(Value("SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_customers_email'"), "1");

  // Nothing left: a second run says so and changes nothing.
  r = Tide({"migrate"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.all().find("up to date"), std::string::npos) << r.all();
  EXPECT_EQ(Value("SELECT count(*) FROM flyway_schema_history"), "3");
  EXPECT_EQ(InfoJson()["schema_version"], "1.2");
}

TEST_F(CliFoundationTest, HistoryRowsAreWhatFlywayWrites) {
  ASSERT_EQ(Tide({"migrate"}).exit_code, 0);
  pg::PgResult cols = Sql(
      "SELECT column_name, data_type, coalesce(character_maximum_length, 0), is_nullable "
      "FROM information_schema.columns WHERE table_name = 'flyway_schema_history' "
      "ORDER BY ordinal_position");
  std::vector<std::string> got;
  for (int i = 0; i < cols.rows(); ++i) {
    got.push_back(cols.Get(i, 0) + " " + cols.Get(i, 1) + " " + cols.Get(i, 2) + " " +
                  cols.Get(i, 3));
  }
  std::vector<std::string> want = {
      "installed_rank integer 0 NO",           "version character varying 50 YES",
      "description character varying 200 NO", "type character varying 20 NO",
      "script character varying 1000 NO",      "checksum integer 0 YES",
      "installed_by character varying 100 NO", "installed_on timestamp without time zone 0 NO",
      "execution_time integer 0 NO",           "success boolean 0 NO"};
  EXPECT_EQ(got, want);
  EXPECT_EQ(Value("SELECT count(*) FROM pg_indexes WHERE indexname IN "
                  "('flyway_schema_history_pk', 'flyway_schema_history_s_idx')"),
            "2");
  pg::PgResult rows = Sql(
      "SELECT installed_rank, version, description, type, script, installed_by, success "
      "FROM flyway_schema_history ORDER BY installed_rank");
  ASSERT_EQ(rows.rows(), 3);
  EXPECT_EQ(rows.Get(1, 1), "1.1");
  EXPECT_EQ(rows.Get(1, 2), "add email column");
  EXPECT_EQ(rows.Get(1, 3), "SQL");
  EXPECT_EQ(rows.Get(1, 4), "V1.1__add_email_column.sql");
  EXPECT_EQ(rows.Get(1, 5), "postgres");
  EXPECT_EQ(rows.Get(1, 6), "t");
}

TEST_F(CliFoundationTest, FlywayWrittenHistoryWithKnownChecksumsValidates) {
  // A history table as Flyway leaves it, for files whose checksums Flyway's algorithm gives
  // (computed in Java, tests/fixtures/flyway_checksums): LF, CRLF, BOM, mixed endings, unicode.
  fs::path fixtures = fs::path(TIDE_SOURCE_DIR) / "tests/fixtures/flyway_checksums";
  fs::path migrations = dir_.path() / "flyway";
  fs::create_directories(migrations);
  std::ifstream expected(fixtures / "expected.txt");
  std::string name;
  int32_t checksum;
  std::string inserts;
  int rank = 0;
  while (expected >> name >> checksum) {
    fs::copy_file(fixtures / name, migrations / name);
    std::string version = name.substr(1, name.find("__") - 1);
    std::string description = name.substr(name.find("__") + 2);
    description = description.substr(0, description.size() - 4);
    std::replace(description.begin(), description.end(), '_', ' ');
    inserts += "INSERT INTO flyway_schema_history VALUES (" + std::to_string(++rank) + ", '" +
               version + "', '" + description + "', 'SQL', '" + name + "', " +
               std::to_string(checksum) + ", 'flyway', now(), 5, true);\n";
  }
  Sql(R"(CREATE TABLE "public"."flyway_schema_history" (
    "installed_rank" INT NOT NULL, "version" VARCHAR(50), "description" VARCHAR(200) NOT NULL,
    "type" VARCHAR(20) NOT NULL, "script" VARCHAR(1000) NOT NULL, "checksum" INTEGER,
    "installed_by" VARCHAR(100) NOT NULL, "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
    "execution_time" INTEGER NOT NULL, "success" BOOLEAN NOT NULL);
  ALTER TABLE "public"."flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk"
    PRIMARY KEY ("installed_rank");
  CREATE INDEX "flyway_schema_history_s_idx" ON "public"."flyway_schema_history" ("success");)" +
      inserts);
  TideRun r = Tide({"--locations", migrations.string(), "validate"});
  EXPECT_EQ(r.exit_code, 0) << r.all();
  r = Tide({"--locations", migrations.string(), "migrate"});
  EXPECT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(Value("SELECT count(*) FROM flyway_schema_history"), std::to_string(rank));
  // And a file edited after Flyway applied it is caught.
  std::ofstream(migrations / "V2__crlf.sql", std::ios::app) << "-- edited\n";
  r = Tide({"--locations", migrations.string(), "validate"});
  EXPECT_EQ(r.exit_code, 1) << r.all();
  EXPECT_NE(r.all().find("V2__crlf.sql"), std::string::npos);
}

TEST_F(CliFoundationTest, ChangedFileIsDetectedAndMigrateRefuses) {
  ASSERT_EQ(Tide({"migrate", "--target", "1.1"}).exit_code, 0);
  EXPECT_EQ(Tide({"validate"}).exit_code, 0);
  {
    std::ofstream out(dir_.path() / "migrations/V1__create_customers.sql", std::ios::app);
    out << "CREATE TABLE sneaky (id int);\n";
  }
  TideRun r = Tide({"validate"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.all().find("changed after it was applied"), std::string::npos) << r.all();
  r = Tide({"migrate"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.all().find("nothing was applied"), std::string::npos) << r.all();
  EXPECT_EQ(StateOf("1.2"), "Pending");
  // repair accepts the edit; then everything proceeds.
  r = Tide({"repair"});
  EXPECT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(Tide({"validate"}).exit_code, 0);
}

TEST_F(CliFoundationTest, FailedMigrationIsReportedWithFileLineAndLeavesNothing) {
  ASSERT_EQ(Tide({"migrate", "--target", "1"}).exit_code, 0);
  dir_.Write("migrations/V1.0.5__bad.sql",
             "CREATE TABLE half_done (id int);\n"
             "ALTER TABLE customers ADD COLUMN ok_col int;\n"
             "\n"
             "INSERT INTO customers (id, name) VALUES (1, 'a');\n"
             "INSERT INTO customers (id, name) VALUES (1, 'b');\n");
  TideRun r = Tide({"migrate"});
  EXPECT_EQ(r.exit_code, 1) << r.all();
  EXPECT_NE(r.err.find("V1.0.5__bad.sql:5:1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("23505"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("rolled back"), std::string::npos) << r.err;
  EXPECT_EQ(Value("SELECT count(*) FROM pg_class WHERE relname = 'half_done'"), "0");
  EXPECT_EQ(Value("SELECT count(*) FROM information_schema.columns WHERE column_name = 'ok_col'"),
            "0");
  EXPECT_EQ(Value("SELECT count(*) FROM customers"), "0");
  EXPECT_EQ(StateOf("1.0.5"), "Pending");
  EXPECT_EQ(StateOf("1.1"), "Pending");
}

TEST_F(CliFoundationTest, SyntaxErrorIsAnInputErrorBeforeAnythingRuns) {
  dir_.Write("migrations/V1.05__typo.sql", "ALTER TABLE customers ADD COLUMN;\n");
  TideRun r = Tide({"migrate"});
  // V1 runs (it precedes the bad file), the bad file is refused with exit 2 and its position.
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.err.find("V1.05__typo.sql:1:33"), std::string::npos) << r.err;
}

TEST_F(CliFoundationTest, DuplicateVersionRefusedAndNothingTouched) {
  dir_.Write("migrations/V1.0__again.sql", "CREATE TABLE again (id int);\n");
  TideRun r = Tide({"migrate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("V1.0__again.sql"), std::string::npos) << r.err;
  EXPECT_EQ(Value("SELECT count(*) FROM pg_class WHERE relname IN ('flyway_schema_history', "
                  "'customers')"),
            "0");
}

TEST_F(CliFoundationTest, InfoAndValidateInEveryState) {
  ASSERT_EQ(Tide({"migrate", "--target", "1.1"}).exit_code, 0);
  // Missing: an applied file removed. Future: a history row newer than any file. Failed: a row.
  fs::rename(dir_.path() / "migrations/V1.1__add_email_column.sql",
             dir_.path() / "V1.1__add_email_column.sql.away");
  Sql("INSERT INTO flyway_schema_history VALUES (10, '9', 'from the future', 'SQL', "
      "'V9__from_the_future.sql', 1, 'x', now(), 1, true)");
  Sql("INSERT INTO flyway_schema_history VALUES (11, '1.05', 'broke', 'SQL', "
      "'V1.05__broke.sql', 1, 'x', now(), 1, false)");
  dir_.Write("migrations/V1.05__broke.sql", "SELECT 1;");
  EXPECT_EQ(StateOf("1"), "Success");
  EXPECT_EQ(StateOf("1.1"), "Missing");
  EXPECT_EQ(StateOf("9"), "Future");
  EXPECT_EQ(StateOf("1.05"), "Failed");
  EXPECT_EQ(StateOf("1.2"), "Ignored");
  TideRun r = Tide({"validate"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.all().find("V1.1"), std::string::npos);
  EXPECT_NE(r.all().find("failed"), std::string::npos);
  // Human text carries the same states.
  r = Tide({"info"});
  EXPECT_NE(r.out.find("Missing"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Future"), std::string::npos);
  // repair: failed row removed, missing marked deleted; then the future row alone stays.
  r = Tide({"repair"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(StateOf("1.05"), "Ignored");
  EXPECT_EQ(Value("SELECT count(*) FROM flyway_schema_history WHERE type = 'DELETE'"), "1");
  EXPECT_EQ(Tide({"--json", "validate", "--out-of-order"}).exit_code, 0);
}

TEST_F(CliFoundationTest, BaselineSkipsOlderMigrations) {
  Sql("CREATE TABLE customers (id bigserial PRIMARY KEY, name text NOT NULL, "
      "contact_info varchar(255))");
  TideRun r = Tide({"baseline", "--version", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(StateOf("1"), "Baseline");
  r = Tide({"migrate", "--target", "1.1"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(StateOf("1.1"), "Success");
  // A second baseline on a history with migrations is refused.
  r = Tide({"baseline", "--version", "2"});
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_EQ(Value("SELECT type FROM flyway_schema_history ORDER BY installed_rank LIMIT 1"),
            "BASELINE");
}

TEST_F(CliFoundationTest, TwoConcurrentMigrateRunsSerializeOnTheLock) {
  dir_.Write("migrations/V0.5__slow.sql", "SELECT pg_sleep(2);\n");
  TideRun first, second;
  std::thread a([&] { first = Tide({"migrate"}); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::thread b([&] { second = Tide({"migrate"}); });
  a.join();
  b.join();
  EXPECT_EQ(first.exit_code, 0) << first.all();
  EXPECT_EQ(second.exit_code, 0) << second.all();
  EXPECT_NE(second.all().find("waiting for the migration lock"), std::string::npos)
      << second.all();
  EXPECT_NE(second.all().find("up to date"), std::string::npos) << second.all();
  EXPECT_EQ(Value("SELECT count(*) FROM flyway_schema_history"), "4");
}

TEST_F(CliFoundationTest, JsonOutputsParse) {
  ASSERT_EQ(Tide({"migrate", "--target", "1"}).exit_code, 0);
  TideRun r = Tide({"--json", "migrate", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["would_apply"].size(), 2u);
  r = Tide({"--json", "validate"});
  doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["ok"], true);
  EXPECT_EQ(doc["pending"], 2);
  // Errors are JSON too, with the exit code of their kind.
  r = RunTide({"--json", "--url", "host=/nonexistent port=1", "info"}, dir_.path());
  EXPECT_EQ(r.exit_code, 1);
  doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["ok"], false);
  EXPECT_EQ(doc["error"]["kind"], "database");
}

TEST(CliHelpTest, EveryCommandHasHelpWithAnExample) {
  for (std::string cmd : {"init", "info", "validate", "lint", "plan", "migrate", "expand",
                          "contract", "verify", "rehearse", "demo", "baseline", "repair", "ci",
                          "sandbox", "check"}) {
    TideRun r = RunTide({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find("Example"), std::string::npos) << cmd << ":\n" << r.out;
  }
  TideRun r = RunTide({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Exit codes"), std::string::npos);
  EXPECT_EQ(RunTide({"no-such-command"}).exit_code, 2);
  EXPECT_EQ(RunTide({"migrate", "--no-such-flag"}).exit_code, 2);
}

TEST(CliConfigTest, NoUrlIsAUsageErrorThatSaysWhatToDo) {
  TempDir dir;
  fs::create_directories(dir.path() / "migrations");
  TideRun r = RunTide({"info"}, dir.path(), {"TIDE_URL="});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("TIDE_URL"), std::string::npos) << r.err;
}

TEST(CliConfigTest, InitWritesAConfigThatLoads) {
  TempDir dir;
  TideRun r = RunTide({"init"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_TRUE(fs::exists(dir.path() / "tide.toml"));
  EXPECT_TRUE(fs::is_directory(dir.path() / "migrations"));
  // The written file parses (an unknown key would be exit 2): a dry run reaches the database step.
  r = RunTide({"migrate", "--dry-run"}, dir.path(), {"TIDE_URL="});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no database"), std::string::npos) << r.err;
  dir.Write("tide.toml", "url = \"x\"\nbogus = 1\n");
  r = RunTide({"info"}, dir.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("tide.toml:2"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace tide::testing
