// A Flyway project switched to tide without changing it: the seed's Maven layout, its
// flyway.conf with a JDBC URL, placeholders, script settings and SQL callbacks, on a real
// cluster; history rows compared with what Flyway's rules give.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "harness.h"

namespace tide::testing {
namespace {

namespace fs = std::filesystem;

class CliFlywayTest : public DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    fs::copy(fs::path(TIDE_SOURCE_DIR) / "tests/fixtures/maven_seed", dir_.path(),
             fs::copy_options::recursive);
  }
  // The CI environment of the seed's pipeline: where the database is, and a password that must
  // never be printed (the test cluster trusts local connections and ignores it).
  std::vector<std::string> Env() const {
    return {"CUSTOMERS_DB_PORT=" + std::to_string(SharedCluster().port()),
            "CUSTOMERS_DB_NAME=" + dbname(), "CUSTOMERS_DB_PASSWORD=pw-never-printed"};
  }
  TideRun Tide(const std::vector<std::string>& args, std::vector<std::string> extra_env = {}) {
    std::vector<std::string> env = Env();
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    TideRun r = RunTide(args, dir_.path(), env);
    EXPECT_EQ(r.all().find("pw-never-printed"), std::string::npos) << r.all();
    return r;
  }
  TempDir dir_;
};

TEST_F(CliFlywayTest, MavenProjectMigratesWithPlainTideMigrateAndFlywaysHistory) {
  ASSERT_FALSE(fs::exists(dir_.path() / "tide.toml"));
  TideRun r = Tide({"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  // flyway.connectRetries has no meaning in tide: named, not silently dropped.
  EXPECT_NE(r.err.find("flyway.conf:12: flyway.connectRetries is not supported"), std::string::npos)
      << r.err;

  // What Flyway records for these files: its description, type and script rules, and its CRC32
  // over the lines (computed independently, with Python's zlib.crc32): of the file as written
  // for a versioned migration, of the text with placeholders replaced for a repeatable
  // (Flyway's SqlMigrationResolver), here team=billing and defaultSchema=customers_app.
  pg::PgResult rows =
      Sql("SELECT installed_rank, coalesce(version, '-'), description, type, script, "
          "coalesce(checksum::text, '-'), installed_by, success "
          "FROM customers_app.flyway_schema_history ORDER BY installed_rank");
  std::vector<std::string> got;
  for (int i = 0; i < rows.rows(); ++i) {
    std::string line;
    for (int c = 0; c < rows.columns(); ++c) line += (c ? "|" : "") + rows.Get(i, c);
    got.push_back(line);
  }
  std::vector<std::string> want = {
      "1|-|<< Flyway Schema Creation >>|SCHEMA|\"customers_app\"|-|postgres|t",
      "2|1|create customers|SQL|V1__create_customers.sql|658452206|postgres|t",
      "3|1.1|add email column|SQL|V1.1__add_email_column.sql|1366980403|postgres|t",
      "4|1.2|index customers email|SQL|V1.2__index_customers_email.sql|-962917540|postgres|t",
      "5|-|customer emails|SQL|views/R__customer_emails.sql|-2010397488|postgres|t"};
  EXPECT_EQ(got, want);

  // The placeholders reached the server, built-ins included.
  EXPECT_EQ(Value("SELECT obj_description('customers_app.customers'::regclass)"),
            "owned by billing; created by postgres in " + dbname());
  EXPECT_EQ(Value("SELECT string_agg(email, ',' ORDER BY id) FROM customers_app.customers"),
            "ada.lovelace@legacy.example.com,alan.turing@legacy.example.com");
  // V1.2__index_customers_email.sql.conf said executeInTransaction=false: CONCURRENTLY ran.
  EXPECT_EQ(Value("SELECT indisvalid FROM pg_index WHERE indexrelid = "
                  "'customers_app.idx_customers_email'::regclass"),
            "t");
  EXPECT_EQ(Value("SELECT count(*) FROM customers_app.customer_emails"), "2");
  // afterMigrate.sql ran once, with its own file name and the configured table.
  EXPECT_EQ(Value("SELECT string_agg(script || '/' || by_user || '/' || in_table, ',') "
                  "FROM customers_app.migration_runs"),
            "afterMigrate.sql/postgres/flyway_schema_history");

  // Nothing pending: Flyway still runs afterMigrate, and so does tide.
  r = Tide({"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(Value("SELECT count(*) FROM customers_app.migration_runs"), "2");
  EXPECT_EQ(Value("SELECT count(*) FROM customers_app.flyway_schema_history"), "5");

  r = Tide({"--json", "info"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["schema_version"], "1.2");

  // Another value for ${team}: the repeatable that uses it runs again, with the new checksum;
  // V1, which uses it too, keeps its raw checksum and stays valid.
  r = Tide({"-Dflyway.placeholders.team=payments", "migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(Value("SELECT string_agg(checksum::text, ',' ORDER BY installed_rank) FROM "
                  "customers_app.flyway_schema_history WHERE script LIKE '%R__%'"),
            "-2010397488,778462791");
  EXPECT_EQ(Value("SELECT count(*) FROM customers_app.flyway_schema_history"), "6");
  r = Tide({"-Dflyway.placeholders.team=payments", "validate"});
  EXPECT_EQ(r.exit_code, 0) << r.all();
  r = Tide({"validate"});  // back to billing: the applied repeatable is outdated, not invalid
  EXPECT_EQ(r.exit_code, 0) << r.all();
}

TEST_F(CliFlywayTest, SeedsMavenTargetWorksAsADefine) {
  // mvn flyway:migrate -Dflyway.target=1.1 becomes tide -Dflyway.target=1.1 migrate.
  TideRun r = Tide({"-Dflyway.target=1.1", "migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(Value("SELECT string_agg(version, ',' ORDER BY installed_rank) "
                  "FROM customers_app.flyway_schema_history WHERE version IS NOT NULL"),
            "1,1.1");
  // FLYWAY_TARGET from the environment works the same, and a -D beats it.
  r = Tide({"-Dflyway.target=1.1", "migrate"}, {"FLYWAY_TARGET=1.2"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(Value("SELECT max(version) FROM customers_app.flyway_schema_history"), "1.1");
  r = Tide({"migrate"}, {"FLYWAY_TARGET=1.2"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(Value("SELECT max(version) FROM customers_app.flyway_schema_history"), "1.2");
}

TEST_F(CliFlywayTest, MissingPlaceholderStopsBeforeAnythingRunsNamingFileAndLine) {
  fs::path migrations = dir_.path() / "src/main/resources/db/migration";
  fs::path bad = migrations / "V1.3__grant_reader.sql";
  std::ofstream(bad)
      << "-- readers may read customers\n\nGRANT SELECT ON customers TO ${reader_role};\n";
  TideRun r = Tide({"migrate"});
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.err.find("V1.3__grant_reader.sql:3:30"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("${reader_role}"), std::string::npos) << r.err;
  // Nothing ran: no migration, no callback.
  EXPECT_EQ(Value("SELECT count(*) FROM pg_tables WHERE schemaname = 'customers_app' AND "
                  "tablename IN ('customers', 'migration_runs')"),
            "0");

  // Defined from the environment, as Flyway reads FLYWAY_PLACEHOLDERS_*, it runs.
  ASSERT_EQ(Sql("CREATE ROLE reporting").rows(), 0);
  r = Tide({"migrate"}, {"FLYWAY_PLACEHOLDERS_READER_ROLE=reporting"});
  EXPECT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(Value("SELECT has_table_privilege('reporting', 'customers_app.customers', 'SELECT')"),
            "t");
  (void)Sql("DROP OWNED BY reporting; DROP ROLE reporting");
}

}  // namespace
}  // namespace tide::testing
