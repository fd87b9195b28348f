// Phases and the replica gate as the seed's pipeline runs them: expand while the old release
// runs, the contract refused until every instance runs the new one, on the primary and on a
// standby; a contradicted stated phase and expand+contract in one invocation refused; the
// audit log.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "harness.h"

namespace tide::testing {
namespace {

namespace fs = std::filesystem;

class DbPhasesTest : public DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    fs::copy(CustomersMigrations(), dir_.path() / "migrations");
  }
  TideRun Tide(std::vector<std::string> args, const std::string& url_override = "") {
    args.insert(args.begin(), {"--url", url_override.empty() ? url() : url_override});
    return RunTide(args, dir_.path());
  }
  std::string Column(const std::string& name) {
    return Value(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = "
        "'customers' AND column_name = '" +
        name + "'");
  }
  TempDir dir_;
};

TEST_F(DbPhasesTest, SeedRollingDeploymentIsGatedOnTheOldRelease) {
  ASSERT_EQ(Tide({"migrate", "--target", "1"}).exit_code, 0);
  Sql("INSERT INTO customers (name, contact_info) SELECT 'c' || g, 'x' FROM "
      "generate_series(1, 500) g");
  // Two instances of the old release are connected.
  auto v1a = Connect("customer-api/1.0");
  auto v1b = Connect("customer-api/1.0");
  TideRun r = Tide({"expand"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(Column("email"), "1");
  EXPECT_NE(r.out.find("Stopped before V1.2"), std::string::npos) << r.out;
  // The rollout begins: v2 connects, v1 is still there. The contract is refused.
  auto v2 = Connect("customer-api/2.0");
  r = Tide({"contract", "--app", "customer-api", "--version", "2.0"});
  EXPECT_EQ(r.exit_code, 3) << r.all();
  EXPECT_NE(r.err.find("customer-api/1.0"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(std::to_string(v1a.backend_pid())), std::string::npos) << r.err;
  EXPECT_EQ(Column("contact_info"), "1");
  // One old instance left is still one too many.
  v1a = Connect("customer-api/2.0");
  r = Tide({"contract", "--app", "customer-api", "--version", "2.0"});
  EXPECT_EQ(r.exit_code, 3) << r.all();
  EXPECT_EQ(Column("contact_info"), "1");
  // All on v2: the contract runs.
  v1b = Connect("customer-api/2.0");
  r = Tide({"contract", "--app", "customer-api", "--version", "2.0"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(Column("contact_info"), "0");
  // The audit log holds the refusals and the runs, with who and which tide.
  EXPECT_EQ(Value("SELECT count(*) FROM tide_run_log WHERE outcome = 'refused'"), "2");
  EXPECT_EQ(Value("SELECT string_agg(command || ':' || outcome, ',' ORDER BY id) FROM "
                  "tide_run_log WHERE outcome <> 'refused'"),
            "migrate:ok,expand:ok,contract:ok");
  TideRun info = Tide({"--json", "info"});
  auto doc = nlohmann::json::parse(info.out);
  EXPECT_EQ(doc["runs"].size(), 5u);
  EXPECT_EQ(doc["migrations"][1]["phase"], "expand");
  EXPECT_EQ(doc["migrations"][2]["phase"], "contract");
  EXPECT_FALSE(doc["runs"][0]["host"].get<std::string>().empty());
}

TEST_F(DbPhasesTest, ContractNeedsAGateOrARecordedReasonToSkipIt) {
  ASSERT_EQ(Tide({"migrate", "--target", "1.1"}).exit_code, 0);
  TideRun r = Tide({"contract"});
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.err.find("needs a gate"), std::string::npos) << r.err;
  EXPECT_EQ(Column("contact_info"), "1");
  auto v1 = Connect("customer-api/1.0");
  r = Tide({"contract", "--skip-gate", "incident 42: old pods already gone"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(Column("contact_info"), "0");
  EXPECT_EQ(Value("SELECT skip_gate_reason FROM tide_run_log WHERE command = 'contract'"),
            "incident 42: old pods already gone");
  // A check command works as the gate for apps that cannot set application_name.
  dir_.Write("migrations/V1.3__drop_index.sql",
             "-- tide:phase contract\nDROP INDEX idx_customers_email;\n");
  r = Tide({"contract", "--check-command", "exit 7"});
  EXPECT_EQ(r.exit_code, 3) << r.all();
  r = Tide({"contract", "--check-command", "true"});
  EXPECT_EQ(r.exit_code, 0) << r.all();
}

// Mixed files are judged on the database (tests/mixed_phase_test.cc); a stated phase that the
// statements contradict is an input error whatever the database holds.
TEST_F(DbPhasesTest, AStatedPhaseThatTheStatementsContradictIsRefused) {
  // customers exists before this run (created in the same run, nothing would contract it).
  ASSERT_EQ(Tide({"migrate", "--target", "1"}).exit_code, 0);
  dir_.Write("migrations/V1.05__mixed.sql",
             "-- tide:phase expand\nALTER TABLE customers DROP COLUMN contact_info;\n");
  TideRun r = Tide({"migrate"});
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.err.find("says it is an expand migration"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("line 2: ALTER TABLE customers DROP COLUMN contact_info"), std::string::npos)
      << r.err;
  EXPECT_EQ(Column("contact_info"), "1");
}

TEST_F(DbPhasesTest, ExpandThenContractInOneInvocationIsRefusedWhileAnAppIsConnected) {
  ASSERT_EQ(Tide({"migrate", "--target", "1"}).exit_code, 0);
  {
    auto app = Connect("customer-api/1.0");
    TideRun r = Tide({"migrate"});
    EXPECT_EQ(r.exit_code, 3) << r.all();
    EXPECT_NE(r.err.find("same run"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("customer-api/1.0"), std::string::npos) << r.err;
    EXPECT_EQ(Column("email"), "0");  // not even the expand ran
  }
  // Nothing else connected (a fresh database, CI): the whole history replays in one go.
  TideRun r = Tide({"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(Column("contact_info"), "0");
}

TEST_F(DbPhasesTest, ContractWaitsForTheMinimumExpandAge) {
  ASSERT_EQ(Tide({"migrate", "--target", "1.1"}).exit_code, 0);
  TideRun r = Tide({"contract", "--skip-gate", "test", "--min-expand-age", "1h"});
  EXPECT_EQ(r.exit_code, 3) << r.all();
  EXPECT_NE(r.err.find("min-expand-age"), std::string::npos) << r.err;
  EXPECT_EQ(Column("contact_info"), "1");
  r = Tide({"contract", "--skip-gate", "test", "--min-expand-age", "0s"});
  EXPECT_EQ(r.exit_code, 0) << r.all();
}

TEST_F(DbPhasesTest, ContractRunsNothingWhenTheNextMigrationIsAnExpand) {
  ASSERT_EQ(Tide({"migrate", "--target", "1"}).exit_code, 0);
  TideRun r = Tide({"contract", "--skip-gate", "test"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("Stopped before V1.1"), std::string::npos) << r.out;
  EXPECT_EQ(Column("email"), "0");
}

TEST(DbGateStandbyTest, OldSessionsOnAStandbyBlockTheContract) {
  TempDir dir;
  fs::permissions(dir.path(), fs::perms::others_exec, fs::perm_options::add);
  pg::ClusterOptions p;
  p.dir = dir.path() / "primary";
  auto primary = pg::LocalCluster::Create(p);
  ASSERT_TRUE(primary.ok()) << primary.error().ToString();
  pg::ClusterOptions s;
  s.dir = dir.path() / "standby";
  auto standby = pg::LocalCluster::CreateStandby(*primary, s);
  ASSERT_TRUE(standby.ok()) << standby.error().ToString();
  ASSERT_TRUE(WaitFor(primary->SocketUrl(),
                      "SELECT count(*) = 1 FROM pg_stat_replication WHERE state = 'streaming'"));
  fs::copy(CustomersMigrations(), dir.path() / "migrations");
  auto tide = [&](std::vector<std::string> args) {
    std::vector<std::string> all = {"--url", primary->SocketUrl()};
    all.insert(all.end(), args.begin(), args.end());
    return RunTide(all, dir.path());
  };
  ASSERT_EQ(tide({"migrate", "--target", "1.1"}).exit_code, 0);
  {
    // A reporting instance of the old release reads from the standby.
    auto reader = pg::Connection::Open(standby->SocketUrl(), "customer-api/1.0");
    ASSERT_TRUE(reader.ok()) << reader.error().ToString();
    TideRun r = tide({"contract", "--app", "customer-api", "--version", "2.0", "--standby",
                      standby->SocketUrl()});
    EXPECT_EQ(r.exit_code, 3) << r.all();
    EXPECT_NE(r.err.find("customer-api/1.0"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(std::to_string(reader->backend_pid())), std::string::npos) << r.err;
    // Without the standby in the gate, the gate still sees it stream and will not pass.
    TideRun v = tide({"verify", "--app", "customer-api", "--version", "2.0"});
    EXPECT_EQ(v.exit_code, 3) << v.all();
    EXPECT_NE(v.err.find("not checked: standby"), std::string::npos) << v.err;
  }
  // Every instance is on 2.0 now; the standby is still there, streaming.
  TideRun v = tide(
      {"verify", "--app", "customer-api", "--version", "2.0", "--standby", standby->SocketUrl()});
  EXPECT_EQ(v.exit_code, 0) << v.all();
  EXPECT_NE(v.out.find("checked on 2 servers"), std::string::npos) << v.out;
  // The same standby under a second URL counts once: the gate is still short of nothing, and
  // the primary given as a standby does not stand in for one.
  v = tide(
      {"verify", "--app", "customer-api", "--version", "2.0", "--standby", primary->SocketUrl()});
  EXPECT_EQ(v.exit_code, 3) << v.all();
  TideRun r = tide({"contract", "--app", "customer-api", "--version", "2.0"});
  EXPECT_EQ(r.exit_code, 3) << r.all();
  EXPECT_NE(r.err.find("1 server replicates from the database and the gate did not read it"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("--skip-standbys"), std::string::npos) << r.err;
  auto conn = pg::Connection::Open(primary->SocketUrl());
  ASSERT_TRUE(conn.ok());
  auto count = [&](const std::string& sql) { return conn->QueryValue(sql)->value_or(""); };
  EXPECT_EQ(count("SELECT count(*) FROM flyway_schema_history WHERE version = '1.2'"), "0");
  EXPECT_EQ(count("SELECT count(*) FROM tide_run_log WHERE outcome = 'refused' AND gate LIKE "
                  "'%1 replica streaming and not checked%'"),
            "1");
  r = tide({"contract", "--app", "customer-api", "--version", "2.0", "--skip-standbys",
            "the standby serves only the 2.0 reporting job"});
  EXPECT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.all().find("the gate did not read 1 replica"), std::string::npos) << r.all();
  EXPECT_EQ(count("SELECT count(*) FROM tide_run_log WHERE command = 'contract' AND outcome = "
                  "'ok' AND gate LIKE '%waived: the standby serves only the 2.0 reporting job'"),
            "1");
  (void)standby->Destroy();
  (void)primary->Destroy();
}

TEST(CliCiTest, GeneratedPipelinesHoldTheDriftCheckFourStagesAndTheManualGate) {
  TideRun gitlab = RunTide({"ci", "gitlab", "--app", "customer-api"});
  ASSERT_EQ(gitlab.exit_code, 0) << gitlab.all();
  YAML::Node g = YAML::Load(gitlab.out);
  std::vector<std::string> stages;
  for (const auto& s : g["stages"]) stages.push_back(s.as<std::string>());
  EXPECT_EQ(stages, (std::vector<std::string>{"drift", "expand-db", "deploy-app", "verify",
                                              "contract-db"}));
  EXPECT_NE(g["drift"]["script"][0].as<std::string>().find("tide check --drift"),
            std::string::npos);
  EXPECT_EQ(g["contract-db"]["when"].as<std::string>(), "manual");
  EXPECT_NE(g["contract-db"]["script"][0].as<std::string>().find("tide contract --app"),
            std::string::npos);
  EXPECT_NE(g["expand-db"]["script"][0].as<std::string>().find("tide expand"), std::string::npos);

  TideRun github = RunTide({"ci", "github", "--app", "customer-api"});
  ASSERT_EQ(github.exit_code, 0) << github.all();
  YAML::Node h = YAML::Load(github.out);
  auto jobs = h["jobs"];
  EXPECT_TRUE(jobs["expand-db"] && jobs["deploy-app"] && jobs["verify"] && jobs["contract-db"]);
  EXPECT_EQ(jobs["contract-db"]["needs"].as<std::string>(), "verify");
  EXPECT_EQ(jobs["contract-db"]["environment"].as<std::string>(), "production-contract");
  EXPECT_EQ(jobs["verify"]["needs"].as<std::string>(), "deploy-app");
  EXPECT_EQ(jobs["expand-db"]["needs"].as<std::string>(), "drift");
  EXPECT_NE(jobs["drift"]["steps"][1]["run"].as<std::string>().find("tide check --drift"),
            std::string::npos);
}

}  // namespace
}  // namespace tide::testing
