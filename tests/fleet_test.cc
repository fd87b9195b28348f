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
  void SetUp() override {
    auto admin = pg::Connection::Open(SharedCluster().SocketUrl());
    ASSERT_TRUE(admin.ok()) << admin.error().ToString();
    std::ofstream targets(dir_.path() / "targets.txt");
    targets << "# one database per tenant\n";
    for (int i = 0; i < kTargets; ++i) {
      std::string db = fmt::format("fleet{}_{}", getpid(), i);
      ASSERT_TRUE(admin->Run("CREATE DATABASE " + db).ok());
      dbs_.push_back(db);
      targets << SharedCluster().SocketUrl(db) << "\n";
    }
    fs::copy(CustomersMigrations(), dir_.path() / "migrations");
  }
  void TearDown() override {
    auto admin = pg::Connection::Open(SharedCluster().SocketUrl());
    if (!admin.ok()) return;
    for (const auto& db : dbs_) (void)admin->Run("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
  }
  std::string Value(int target, const std::string& sql) {
    auto conn = pg::Connection::Open(SharedCluster().SocketUrl(dbs_[target]));
    if (!conn.ok()) return conn.error().ToString();
    auto v = conn->QueryValue(sql);
    return v.ok() ? v->value_or("") : v.error().ToString();
  }
  TideRun Tide(const std::vector<std::string>& args) { return RunTide(args, dir_.path()); }

  static constexpr int kTargets = 20;
  static constexpr int kBroken = 7;
  std::vector<std::string> dbs_;
  TempDir dir_;
};

TEST_F(DbFleetTest, OneBrokenTargetIsReportedTheOthersFinishAndTheRerunRunsOnlyIt) {
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
  // The tenant is repaired; the rerun leaves the 19 done ones alone.
  ASSERT_EQ(Value(kBroken, "DROP TABLE customers"), "");
  r = Tide({"--targets", "targets.txt", "--parallel", "4", "migrate", "--target", "1.1"});
  EXPECT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("1 ok, 19 skipped"), std::string::npos) << r.out;
  EXPECT_EQ(Value(kBroken, "SELECT count(*) FROM flyway_schema_history WHERE success"), "2");
  EXPECT_EQ(Value(0, "SELECT count(*) FROM tide_run_log"), "1");
  // A new migration file makes every target due again.
  std::ofstream(dir_.path() / "migrations" / "V2__later.sql") << "SELECT 1;\n";
  r = Tide({"--targets", "targets.txt", "--parallel", "4", "migrate", "--target", "1.1"});
  EXPECT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("20 ok"), std::string::npos) << r.out;
  r = Tide({"--targets", "targets.txt", "--json", "info"});
  EXPECT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("\"outcome\": \"ok\""), std::string::npos) << r.out;
}

TEST_F(DbFleetTest, ABadTargetLineIsRefusedWithItsLineAndNothingRuns) {
  std::ofstream(dir_.path() / "targets.txt", std::ios::app) << "this is not a url\n";
  TideRun r = Tide({"--targets", "targets.txt", "migrate"});
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.err.find(fmt::format("targets.txt:{}", kTargets + 2)), std::string::npos) << r.err;
  EXPECT_EQ(Value(0, "SELECT to_regclass('flyway_schema_history') IS NULL"), "t");
  EXPECT_EQ(Tide({"--parallel", "2", "info"}).exit_code, 2);
}

}  // namespace
}  // namespace tide::testing
