// Declarative migrations through the tide binary: errors that point into the file (exit 2,
// nothing run), the customers example as the seed's whole pipeline, a fresh database in one go,
// a killed expand resumed and a half-applied one rolled back, and what rollback refuses.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "harness.h"
#include "rehearse/traffic.h"

namespace tide::testing {
namespace {

namespace fs = std::filesystem;

fs::path Example() { return fs::path(TIDE_SOURCE_DIR) / "examples/customers-declarative"; }

class DbDeclarativeCliTest : public DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    fs::copy(Example() / "migrations", dir_.path() / "migrations");
    dir_.Write("tide.toml",
               "locations = [\"migrations\"]\n"
               "[backfill]\n"
               "target_batch = \"5ms\"\n"
               "max_batch = 500\n");
  }
  TideRun Tide(std::vector<std::string> args) {
    args.insert(args.begin(), {"--url", url()});
    return RunTide(args, dir_.path());
  }
  void Customers(int rows) {
    ASSERT_EQ(Tide({"migrate", "--target", "1"}).exit_code, 0);
    Sql("INSERT INTO customers (name, contact_info) SELECT 'Customer ' || g, 'c' || g FROM "
        "generate_series(1, " +
        std::to_string(rows) + ") g");
  }
  std::string Column(const std::string& name) {
    return Value(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = "
        "'customers' AND column_name = '" +
        name + "'");
  }
  TempDir dir_;
};

TEST_F(DbDeclarativeCliTest, MistakesAreReportedAtTheirLineAndNothingRuns) {
  Customers(100);
  struct Case {
    const char* yaml;
    const char* where;  // file:line
    const char* text;
  } cases[] = {
      {"operations:\n  - add_column:\n      table: customers\n      colum: {name: a, type: "
       "text}\n",
       "V2__email_replaces_contact_info.yaml:4:", "add_column has no field 'colum'"},
      {"operations:\n  - drop_column:\n      table: customer\n      column: contact_info\n",
       "V2__email_replaces_contact_info.yaml:3:", "table customer does not exist"},
      {"operations:\n  - add_column:\n      table: customers\n      column: {name: email, type: "
       "text}\n      up: \"lowr(name)\"\n",
       "V2__email_replaces_contact_info.yaml:5:", "function lowr(text) does not exist"},
      {"operations:\n  - add_column:\n      table: customers\n      column: {name: email, type: "
       "text}\n      up: \"lower(nme)\"\n",
       "V2__email_replaces_contact_info.yaml:5:", "there is no column 'nme'"},
      {"operations:\n  - add_column:\n      table: customers\n      column: {name: email, type: "
       "text}\n      up: \"lower(name\"\n",
       "V2__email_replaces_contact_info.yaml:5:", "is not an SQL expression"},
  };
  for (const auto& c : cases) {
    dir_.Write("migrations/V2__email_replaces_contact_info.yaml", c.yaml);
    TideRun r = Tide({"expand"});
    EXPECT_EQ(r.exit_code, 2) << c.yaml << r.all();
    EXPECT_NE(r.err.find(c.where), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(c.text), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("hint:"), std::string::npos) << r.err;
    EXPECT_EQ(Column("email"), "0");
    EXPECT_EQ(Value("SELECT count(*) FROM flyway_schema_history WHERE version = '2'"), "0");
  }
}

TEST_F(DbDeclarativeCliTest, FreshDatabaseRunsTheWholeHistoryInOneGo) {
  TideRun plan = Tide({"plan"});
  ASSERT_EQ(plan.exit_code, 0) << plan.all();
  EXPECT_NE(plan.out.find("planned when it runs"), std::string::npos) << plan.out;
  TideRun r = Tide({"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("V2 email replaces contact info (expand)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("V2 email replaces contact info (contract)"), std::string::npos) << r.out;
  EXPECT_EQ(Column("contact_info"), "0");
  EXPECT_EQ(Value("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'customers'::regclass "
                  "AND attname = 'email'"),
            "t");
  // Flyway's history holds one row per file, the YAML one with Flyway's checksum of it.
  auto doc = nlohmann::json::parse(Tide({"--json", "info"}).out);
  ASSERT_EQ(doc["migrations"].size(), 2u);
  EXPECT_EQ(doc["migrations"][1]["state"], "Success");
  EXPECT_EQ(doc["migrations"][1]["type"], "SQL");
  EXPECT_EQ(Tide({"validate"}).exit_code, 0);
  EXPECT_EQ(Value("SELECT checksum FROM flyway_schema_history WHERE version = '2'"),
            doc["migrations"][1]["checksum"].dump());
}

TEST_F(DbDeclarativeCliTest, TheSeedPipelineWithoutDualWrites) {
  Customers(2000);
  auto v1 = Connect("customer-api/1.0");
  TideRun r = Tide({"expand"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("search_path = public_v2, public"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Stopped before V2 email replaces contact info (contract)"),
            std::string::npos)
      << r.out;
  // A later expand waits for this contract, as a contract SQL file would make it.
  dir_.Write("migrations/V3__nickname.sql", "ALTER TABLE customers ADD COLUMN nickname text;\n");
  r = Tide({"expand"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(Column("nickname"), "0");
  // The gate refuses while v1 is connected; the contract runs once it is gone.
  r = Tide({"contract", "--app", "customer-api", "--version", "2.0"});
  EXPECT_EQ(r.exit_code, 3) << r.all();
  EXPECT_EQ(Column("contact_info"), "1");
  v1 = Connect("customer-api/2.0");
  r = Tide({"contract", "--app", "customer-api", "--version", "2.0"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(Column("contact_info"), "0");
  EXPECT_EQ(Column("nickname"), "0");
  EXPECT_EQ(Tide({"expand"}).exit_code, 0);
  EXPECT_EQ(Column("nickname"), "1");
  // Nothing declarative is open any more: rollback has nothing to undo at the top.
  // Nothing open is what a rollback wants: it succeeds and says why it did nothing.
  r = Tide({"rollback"});
  EXPECT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.all().find("Nothing to roll back: V3 (V3__nickname.sql) is not a declarative "
                         "migration"),
            std::string::npos)
      << r.all();
  EXPECT_EQ(Column("nickname"), "1");
}

TEST_F(DbDeclarativeCliTest, KilledExpandResumesOrRollsBack) {
  Customers(150000);
  dir_.Write("tide.toml",
             "locations = [\"migrations\"]\n[backfill]\ntarget_batch = \"5ms\"\nmax_batch = "
             "500\npause = \"20ms\"\n");
  for (bool resume : {true, false}) {
    TideProcess run({"--url", url(), "expand"}, dir_.path());
    ASSERT_TRUE(WaitFor(url(),
                        "SELECT coalesce((checkpoint->>'visited')::int, 0) > 5000 FROM "
                        "tide_migration_state WHERE script LIKE 'V2%'"));
    run.Kill(SIGKILL);
    run.Wait();
    TideRun info = Tide({"info"});
    EXPECT_NE(info.out.find("Interrupted at step"), std::string::npos) << info.out;
    if (resume) {
      TideRun r = Tide({"expand"});
      ASSERT_EQ(r.exit_code, 0) << r.all();
      EXPECT_NE(r.out.find("resuming at step"), std::string::npos) << r.out;
      EXPECT_EQ(Value("SELECT count(*) FROM customers WHERE email IS NULL"), "0");
      ASSERT_EQ(Tide({"rollback"}).exit_code, 0);
    } else {
      // A half-applied expand is undone just as well.
      TideRun r = Tide({"rollback"});
      ASSERT_EQ(r.exit_code, 0) << r.all();
    }
    EXPECT_EQ(Column("email"), "0");
    EXPECT_EQ(Value("SELECT to_regnamespace('public_v2') IS NULL"), "t");
    EXPECT_EQ(Value("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal"), "0");
    EXPECT_EQ(Value("SELECT count(*) FROM flyway_schema_history WHERE version = '2'"), "0");
  }
}

TEST_F(DbDeclarativeCliTest, FailedContractIsResumedWhereItStopped) {
  Customers(300);
  dir_.Write("migrations/V2__email_replaces_contact_info.yaml",
             "operations:\n"
             "  - add_column: {table: customers, column: {name: email, type: text, nullable: "
             "false}, up: \"lower(name)\"}\n"
             "  - sql: {contract: \"ALTER TABLE customers ADD CONSTRAINT short_names CHECK "
             "(length(name) < 3)\"}\n");
  ASSERT_EQ(Tide({"expand"}).exit_code, 0);
  // The expand is too young for the contract when a minimum age is asked for.
  TideRun r = Tide({"contract", "--skip-gate", "test", "--min-expand-age", "1h"});
  EXPECT_EQ(r.exit_code, 3) << r.all();
  EXPECT_NE(r.err.find("min-expand-age"), std::string::npos) << r.err;
  r = Tide({"contract", "--skip-gate", "test"});
  EXPECT_EQ(r.exit_code, 1) << r.all();
  EXPECT_NE(r.err.find("run tide contract again"), std::string::npos) << r.err;
  TideRun info = Tide({"info"});
  EXPECT_NE(info.out.find("Contracting at step"), std::string::npos) << info.out;
  // The history row of the expand stays as it was; rollback refuses a started contract.
  EXPECT_EQ(Value("SELECT success FROM flyway_schema_history WHERE version = '2'"), "t");
  r = Tide({"rollback"});
  EXPECT_EQ(r.exit_code, 1) << r.all();
  EXPECT_NE(r.err.find("the contract of V2 has started"), std::string::npos) << r.err;
  Sql("UPDATE customers SET name = 'ab'");
  r = Tide({"contract", "--skip-gate", "test"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("resuming at step"), std::string::npos) << r.out;
  EXPECT_EQ(Value("SELECT count(*) FROM pg_constraint WHERE conname = 'short_names'"), "1");
  info = Tide({"info"});
  EXPECT_EQ(info.out.find("Contracting"), std::string::npos) << info.out;
}

// The example's own workloads: v1 as the seed wrote it, v3 through the views, no v2 at all.
TEST_F(DbDeclarativeCliTest, ExampleRunsUnderTheV1AndV3WorkloadsWithoutAFailure) {
  const int rows = 20000;
  Customers(rows);
  rehearse::VariableMap vars = {{"rows", std::to_string(rows)}};
  auto v1 = rehearse::Workload::Load(Example() / "workload/app-v1.sql", vars);
  auto v3 = rehearse::Workload::Load(Example() / "workload/app-v3.sql", vars);
  ASSERT_TRUE(v1.ok() && v3.ok());
  rehearse::TrafficOptions old_options;
  old_options.url = url();
  rehearse::Traffic old_traffic(old_options);
  ASSERT_TRUE(old_traffic.AddRelease({"v1", "customer-api/1.0", *v1, 2, 0, 1, ""}).ok());
  rehearse::TrafficOptions new_options;
  new_options.url = url();
  rehearse::Traffic new_traffic(new_options);
  ASSERT_TRUE(
      new_traffic.AddRelease({"v3", "customer-api/2.0", *v3, 2, 0, 1, "public_v2, public"}).ok());
  ASSERT_TRUE(old_traffic.Start().ok());
  TideRun r = Tide({"expand"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  ASSERT_TRUE(new_traffic.Start().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_TRUE(old_traffic.StopRelease("v1").ok());
  old_traffic.Stop();
  r = Tide({"contract", "--app", "customer-api", "--version", "2.0"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  new_traffic.Stop();
  for (const auto* results : {&old_traffic, &new_traffic}) {
    rehearse::TrafficResults t = results->Results();
    ASSERT_EQ(t.releases.size(), 1u);
    EXPECT_GT(t.releases[0].total.requests, 0);
    EXPECT_EQ(t.TotalFailures(), 0)
        << t.releases[0].name << ": "
        << (t.releases[0].errors.empty() ? "" : t.releases[0].errors[0].message);
  }
  // What v3 inserted and updated carries its email; v1's rows got theirs from up.
  EXPECT_EQ(Value("SELECT count(*) FROM customers WHERE email IS NULL"), "0");
  EXPECT_EQ(Value("SELECT count(*) > 0 FROM customers WHERE email LIKE 'v3.%'"), "t");
  EXPECT_EQ(Value("SELECT count(*) > 0 FROM customers WHERE name LIKE 'Old Release %' AND email "
                  "LIKE 'old.release.%@legacy.example.com'"),
            "t");
}

}  // namespace
}  // namespace tide::testing
