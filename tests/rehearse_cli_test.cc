// tide rehearse as a user runs it: the seed's cycle under traffic says "zero downtime" when the
// contract waits for the release that no longer uses the old column, and says "not zero
// downtime", with the failures, when the contract runs while the old release still sends
// queries.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "harness.h"

namespace tide::testing {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> CustomersRehearsal(const std::vector<std::string>& extra) {
  fs::path ex = fs::path(TIDE_SOURCE_DIR) / "examples/customers";
  std::vector<std::string> args = {
      "--json", "--locations", (ex / "migrations").string(), "rehearse",
      "--workload", "v1=" + (ex / "workload/app-v1.sql").string(),
      "--workload", "v2=" + (ex / "workload/app-v2.sql").string(),
      "--workload", "v3=" + (ex / "workload/app-v3.sql").string(),
      "--rows", "20000", "--clients", "2", "--baseline", "1s", "--rollout", "1s",
      "--settle", "1s"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(CliRehearseTest, SeedCycleIsZeroDowntimeAndThePlainRunIsNot) {
  TempDir dir;
  fs::path report = dir.path() / "r.html";
  TideRun r = RunTide(CustomersRehearsal({"--compare-plain", "--report", report.string()}),
                      dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err.substr(r.err.size() > 4000 ? r.err.size() - 4000 : 0);
  auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["runs"].size(), 2u);
  const auto& tide = doc["runs"][0];
  const auto& plain = doc["runs"][1];
  EXPECT_EQ(tide["mode"], "tide");
  EXPECT_TRUE(tide["zero_downtime"].get<bool>()) << tide["reasons"].dump();
  int64_t requests = 0;
  for (const auto& rel : tide["releases"]) {
    EXPECT_EQ(rel["total"]["failures"], 0) << rel.dump();
    requests += rel["total"]["requests"].get<int64_t>();
  }
  EXPECT_GT(requests, 1000);
  // The plain run's contract fails: the old release left rows without email (the seed's fact).
  EXPECT_FALSE(plain["zero_downtime"].get<bool>());
  EXPECT_NE(plain["reasons"].dump().find("migration step failed"), std::string::npos)
      << plain["reasons"].dump();
  // Issue 15: the plain run's failed step is the plain run of V1.2, not a tide command.
  EXPECT_NE(plain["reasons"].dump().find("plain run of V1.2"), std::string::npos)
      << plain["reasons"].dump();
  EXPECT_EQ(plain["reasons"].dump().find("tide contract"), std::string::npos)
      << plain["reasons"].dump();
  std::ifstream in(report);
  std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("Side by side"), std::string::npos);
}

// The declarative example: v1 as the seed wrote it and v3, which knows only email, and no v2.
TEST(CliRehearseTest, DeclarativeExampleNeedsNoDualWriteRelease) {
  TempDir dir;
  fs::path ex = fs::path(TIDE_SOURCE_DIR) / "examples/customers-declarative";
  TideRun r = RunTide({"--json", "--locations", (ex / "migrations").string(), "rehearse",
                       "--workload", "v1=" + (ex / "workload/app-v1.sql").string(), "--workload",
                       "v3=" + (ex / "workload/app-v3.sql").string(), "--rows", "20000",
                       "--clients", "2", "--baseline", "1s", "--rollout", "1s", "--settle", "1s"},
                      dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err.substr(r.err.size() > 4000 ? r.err.size() - 4000 : 0);
  auto doc = nlohmann::json::parse(r.out);
  const auto& run = doc["runs"][0];
  EXPECT_TRUE(run["zero_downtime"].get<bool>()) << run["reasons"].dump();
  ASSERT_EQ(run["releases"].size(), 2u);
  const auto& v3 = run["releases"][1];
  EXPECT_EQ(v3["total"]["failures"], 0) << v3.dump();
  int64_t before_contract = 0;
  for (const auto& phase : v3["phases"]) {
    if (phase["phase"] == "deploy v3") before_contract = phase["requests"].get<int64_t>();
  }
  EXPECT_GT(before_contract, 100) << v3.dump();
}

// A renamed table exists under its new name only as a view until the contract: the new release's
// requests succeed before it only because the rehearsal connects them with the views schema's
// search_path.
TEST(CliRehearseTest, NewReleaseSeesTheDeclarativeShapeThroughItsViews) {
  TempDir dir;
  dir.Write("migrations/V1__orders.sql",
            "CREATE TABLE orders (id bigserial PRIMARY KEY, note text);\n");
  dir.Write("migrations/V2__rename.yaml",
            "operations:\n  - rename_table: {from: orders, to: purchases}\n");
  dir.Write("v1.sql", "\\set id random(1, :rows)\nUPDATE orders SET note = 'v1' WHERE id = :id;\n");
  dir.Write("v2.sql",
            "\\set id random(1, :rows)\nUPDATE purchases SET note = 'v2' WHERE id = :id;\n"
            "SELECT note FROM purchases WHERE id = :id;\n");
  TideRun r = RunTide({"--json", "--locations", "migrations", "rehearse", "--workload",
                       "v1=v1.sql", "--workload", "v2=v2.sql", "--rows", "2000", "--clients", "1",
                       "--baseline", "1s", "--rollout", "1s", "--settle", "1s"},
                      dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err.substr(r.err.size() > 4000 ? r.err.size() - 4000 : 0);
  auto doc = nlohmann::json::parse(r.out);
  const auto& v2 = doc["runs"][0]["releases"][1];
  EXPECT_EQ(v2["total"]["failures"], 0) << v2.dump();
  int64_t before_contract = 0;
  for (const auto& phase : v2["phases"]) {
    if (phase["phase"] == "deploy v2") before_contract = phase["requests"].get<int64_t>();
  }
  EXPECT_GT(before_contract, 100) << v2.dump();
}

TEST(CliRehearseTest, ContractWhileTheOldReleaseRunsIsReportedAsDowntime) {
  TempDir dir;
  TideRun r = RunTide(CustomersRehearsal({"--contract-under", "v1"}), dir.path());
  EXPECT_EQ(r.exit_code, 1) << r.err.substr(r.err.size() > 3000 ? r.err.size() - 3000 : 0);
  auto doc = nlohmann::json::parse(r.out);
  const auto& tide = doc["runs"][0];
  EXPECT_FALSE(tide["zero_downtime"].get<bool>());
  bool v1_failed = false;
  for (const auto& rel : tide["releases"]) {
    if (rel["name"] != "v1") continue;
    v1_failed = rel["total"]["failures"].get<int64_t>() > 0;
    // v1 inserts rows without email: the NOT NULL the contract adds rejects them, and once
    // contact_info is dropped every v1 request fails.
    ASSERT_FALSE(rel["errors"].empty());
    EXPECT_EQ(rel["errors"][0]["kind"], "server");
    EXPECT_NE(rel["errors"][0]["where"].get<std::string>().find("app-v1.sql"), std::string::npos);
  }
  EXPECT_TRUE(v1_failed);
  EXPECT_NE(r.err.find("found downtime"), std::string::npos) << r.err;
}

TEST(CliRehearseTest, BadWorkloadIsAnInputErrorWithFileAndLine) {
  TempDir dir;
  fs::path bad = dir.Write("bad.sql", "\\set id random(1, 10)\n\\gset\n");
  fs::path ex = fs::path(TIDE_SOURCE_DIR) / "examples/customers";
  TideRun r = RunTide({"--locations", (ex / "migrations").string(), "rehearse", "--workload",
                       "v1=" + bad.string(), "--workload",
                       "v2=" + (ex / "workload/app-v2.sql").string()},
                      dir.path());
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.err.find("bad.sql:2"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace tide::testing
