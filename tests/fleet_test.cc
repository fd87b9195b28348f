// tide --targets FILE --parallel N: one command over many databases; one broken target is
// reported while the others finish, the exit code says so, and a rerun runs only that one.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "harness.h"

namespace tide::testing {
namespace {

namespace fs = std::filesystem;

class DbFleetTest : public ::testing::Test {
 protected:
  void SetUp() override { fs::copy(CustomersMigrations(), dir_.path() / "migrations"); }
  void TearDown() override {
    auto admin = pg::Connection::Open(SharedCluster().SocketUrl());
    if (!admin.ok()) return;
    for (const auto& db : dbs_) (void)admin->Run("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
  }
  // n fresh databases, listed in targets.txt after a comment line.
  void MakeTargets(int n) {
    auto admin = pg::Connection::Open(SharedCluster().SocketUrl());
    ASSERT_TRUE(admin.ok()) << admin.error().ToString();
    std::ofstream targets(dir_.path() / "targets.txt");
    targets << "# one database per tenant\n";
    for (int i = 0; i < n; ++i) {
      std::string db = fmt::format("fleet{}_{}", getpid(), dbs_.size());
      ASSERT_TRUE(admin->Run("CREATE DATABASE " + db).ok());
      dbs_.push_back(db);
      targets << SharedCluster().SocketUrl(db) << "\n";
    }
  }
  std::string Value(int target, const std::string& sql) {
    auto conn = pg::Connection::Open(SharedCluster().SocketUrl(dbs_[target]));
    if (!conn.ok()) return conn.error().ToString();
    auto v = conn->QueryValue(sql);
    return v.ok() ? v->value_or("") : v.error().ToString();
  }
  TideRun Tide(const std::vector<std::string>& args) { return RunTide(args, dir_.path()); }

  std::vector<std::string> dbs_;
  TempDir dir_;
};

// The fleet: 100 databases, 4 at a time.
TEST_F(DbFleetTest, OneBrokenTargetOfAHundredIsReportedTheOthersFinishAndTheRerunRunsOnlyIt) {
  constexpr int kTargets = 100, kBroken = 37;
  MakeTargets(kTargets);
  // The tenant that already has a customers table of its own: V1 fails there.
  ASSERT_EQ(Value(kBroken, "CREATE TABLE customers (id int) "), "");
  TideRun r =
      Tide({"--targets", "targets.txt", "--parallel", "4", "--json", "migrate", "--target", "1.1"});
  EXPECT_EQ(r.exit_code, 1) << r.all();
  auto doc = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << r.out;
  EXPECT_FALSE(doc["ok"].get<bool>());
  ASSERT_EQ(doc["targets"].size(), static_cast<size_t>(kTargets));
  for (int i = 0; i < kTargets; ++i) {
    const auto& t = doc["targets"][i];
    EXPECT_NE(t["target"].get<std::string>().find(dbs_[i]), std::string::npos) << t.dump();
    if (i == kBroken) {
      EXPECT_EQ(t["outcome"], "failed") << t.dump();
      EXPECT_NE(t["error"].get<std::string>().find("customers"), std::string::npos) << t.dump();
    } else {
      EXPECT_EQ(t["outcome"], "ok") << t.dump();
      EXPECT_EQ(t["result"]["applied"].size(), 2u) << t.dump();
      EXPECT_EQ(Value(i, "SELECT count(*) FROM flyway_schema_history WHERE success"), "2");
    }
  }
  // The tenant is repaired; the rerun leaves the 99 done ones alone.
  ASSERT_EQ(Value(kBroken, "DROP TABLE customers"), "");
  r = Tide({"--targets", "targets.txt", "--parallel", "4", "migrate", "--target", "1.1"});
  EXPECT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("1 ok, 99 skipped"), std::string::npos) << r.out;
  EXPECT_EQ(Value(kBroken, "SELECT count(*) FROM flyway_schema_history WHERE success"), "2");
  EXPECT_EQ(Value(0, "SELECT count(*) FROM tide_run_log"), "1");
  r = Tide({"--targets", "targets.txt", "--json", "info"});
  EXPECT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("\"outcome\": \"ok\""), std::string::npos) << r.out;
}

TEST_F(DbFleetTest, ABadTargetLineIsRefusedWithItsLineAndNothingRuns) {
  MakeTargets(3);
  std::ofstream(dir_.path() / "targets.txt", std::ios::app) << "this is not a url\n";
  TideRun r = Tide({"--targets", "targets.txt", "migrate"});
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.err.find("targets.txt:5"), std::string::npos) << r.err;
  EXPECT_EQ(Value(0, "SELECT to_regclass('flyway_schema_history') IS NULL"), "t");
  EXPECT_EQ(Tide({"--parallel", "2", "info"}).exit_code, 2);
  EXPECT_EQ(Tide({"--canary", "2", "info"}).exit_code, 2);
}

// --canary 2: the first two due targets run first; one fails, so no other target is touched.
// Repaired, the rerun's canaries are the next two due ones, then the rest runs.
TEST_F(DbFleetTest, AFailedCanaryStopsTheFleetBeforeTheOtherTargets) {
  MakeTargets(6);
  ASSERT_EQ(Value(1, "CREATE TABLE customers (id int)"), "");
  std::vector<std::string> args = {"--targets", "targets.txt", "--parallel", "4", "--canary", "2",
                                   "migrate",   "--target",    "1.1"};
  TideRun r = Tide(args);
  EXPECT_NE(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("stopped after the canary failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("4 not run"), std::string::npos) << r.out;
  EXPECT_NE(r.all().find("] canary "), std::string::npos) << r.all();
  EXPECT_EQ(Value(0, "SELECT count(*) FROM flyway_schema_history WHERE success"), "2");
  for (int i = 2; i < 6; ++i) {
    EXPECT_EQ(Value(i, "SELECT to_regclass('flyway_schema_history') IS NULL"), "t") << i;
  }
  ASSERT_EQ(Value(1, "DROP TABLE customers"), "");
  r = Tide(args);
  EXPECT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("5 ok, 1 skipped"), std::string::npos) << r.out;
  // A line as each due target starts; none for the one done before.
  size_t started = 0;
  for (size_t at = 0; (at = r.all().find(": started (", at)) != std::string::npos; ++at) {
    ++started;
  }
  EXPECT_EQ(started, 5u) << r.all();
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(Value(i, "SELECT count(*) FROM flyway_schema_history WHERE success"), "2") << i;
  }
  // A new migration file makes every target due again.
  std::ofstream(dir_.path() / "migrations" / "V2__later.sql") << "SELECT 1;\n";
  r = Tide({"--targets", "targets.txt", "--parallel", "4", "migrate", "--target", "1.1"});
  EXPECT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("6 ok"), std::string::npos) << r.out;
}

// --fail-fast: once a target failed no other starts; without it the rest goes on (above).
TEST_F(DbFleetTest, FailFastStartsNoTargetAfterAFailure) {
  MakeTargets(5);
  ASSERT_EQ(Value(0, "CREATE TABLE customers (id int)"), "");
  TideRun r = Tide({"--targets", "targets.txt", "--parallel", "1", "--fail-fast", "--json",
                    "migrate", "--target", "1.1"});
  EXPECT_EQ(r.exit_code, 1) << r.all();
  auto doc = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << r.out;
  EXPECT_EQ(doc["targets"][0]["outcome"], "failed") << r.out;
  for (int i = 1; i < 5; ++i) {
    EXPECT_EQ(doc["targets"][i]["outcome"], "not run") << r.out;
    EXPECT_EQ(Value(i, "SELECT to_regclass('flyway_schema_history') IS NULL"), "t") << i;
  }
  EXPECT_EQ(Tide({"--fail-fast", "info"}).exit_code, 2);
}

// --targets-query: the tenants come from a catalog database, read-only.
TEST_F(DbFleetTest, TargetsFromACatalogQuery) {
  MakeTargets(4);
  auto catalog = SharedCluster().SocketUrl(dbs_[3]);
  ASSERT_EQ(Value(3, "CREATE TABLE tenants (url text, active bool)"), "");
  auto conn = pg::Connection::Open(catalog);
  ASSERT_TRUE(conn.ok()) << conn.error().ToString();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(conn->Run("INSERT INTO tenants VALUES ($1, $2)",
                          {SharedCluster().SocketUrl(dbs_[i]), i != 1 ? "true" : "false"})
                    .ok());
  }
  TideRun r = Tide({"--targets-query", "SELECT url FROM tenants WHERE active ORDER BY url",
                    "--catalog-url", catalog, "--json", "migrate", "--target", "1.1"});
  EXPECT_EQ(r.exit_code, 0) << r.all();
  auto doc = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << r.out;
  EXPECT_EQ(doc["targets"].size(), 2u) << r.out;
  EXPECT_EQ(Value(0, "SELECT count(*) FROM flyway_schema_history WHERE success"), "2");
  EXPECT_EQ(Value(2, "SELECT count(*) FROM flyway_schema_history WHERE success"), "2");
  EXPECT_EQ(Value(1, "SELECT to_regclass('flyway_schema_history') IS NULL"), "t");
  EXPECT_TRUE(fs::exists(dir_.path() / "tide-fleet.done"));
  // The query runs read-only: it cannot change the catalog.
  r = Tide({"--targets-query", "DELETE FROM tenants RETURNING url", "--catalog-url", catalog,
            "info"});
  EXPECT_NE(r.exit_code, 0) << r.all();
  EXPECT_NE(r.err.find("read-only"), std::string::npos) << r.err;
  EXPECT_EQ(Value(3, "SELECT count(*) FROM tenants"), "3");
  r = Tide({"--targets-query", "SELECT url FROM tenants", "info"});
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.err.find("--catalog-url"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace tide::testing
