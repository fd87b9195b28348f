// tide plan: what tide would run, before it runs, with and without a database.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "harness.h"

namespace tide::testing {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> Kinds(const nlohmann::json& migration) {
  std::vector<std::string> out;
  for (const auto& s : migration["steps"]) out.push_back(s["kind"]);
  return out;
}

TEST(CliPlanTest, OfflinePlanOfTheSeedFilesShowsTheSafeSteps) {
  TideRun r = RunTide({"--json", "--locations", CustomersMigrations().string(), "plan",
                       "--offline"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["migrations"].size(), 3u);
  EXPECT_EQ(Kinds(doc["migrations"][1]), (std::vector<std::string>{"sql", "backfill"}));
  auto contract = Kinds(doc["migrations"][2]);
  EXPECT_EQ(contract.front(), "backfill");  // the catch-up of V1.1's backfill
  EXPECT_EQ(contract.back(), "create_index_concurrently");
  EXPECT_NE(std::find(contract.begin(), contract.end(), "validate_constraint"), contract.end());
  TideRun text = RunTide({"--locations", CustomersMigrations().string(), "plan", "--offline"});
  EXPECT_NE(text.out.find("SHARE UPDATE EXCLUSIVE"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("batched"), std::string::npos);
}

class DbPlanTest : public DbTest {};

TEST_F(DbPlanTest, OnlinePlanWeighsTheRealTableAndShowsRefusals) {
  TempDir dir;
  fs::copy(CustomersMigrations(), dir.path() / "migrations");
  auto tide = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--url", url()});
    return RunTide(args, dir.path());
  };
  ASSERT_EQ(tide({"migrate", "--target", "1"}).exit_code, 0);
  // An empty table: V1.1 runs as written, in one transaction.
  TideRun r = tide({"--json", "plan"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(Kinds(doc["migrations"][0]), (std::vector<std::string>{"sql", "sql"}));
  // A big one (for this test's threshold): the backfill is batched and counted.
  Sql("INSERT INTO customers (name) SELECT 'c' || g FROM generate_series(1, 2000) g");
  dir.Write("tide.toml", "[backfill]\nsmall_table_rows = 100\n");
  doc = nlohmann::json::parse(tide({"--json", "plan"}).out);
  EXPECT_EQ(Kinds(doc["migrations"][0]), (std::vector<std::string>{"sql", "backfill"}));
  EXPECT_EQ(doc["migrations"][0]["steps"][1]["estimated_rows"], 2000);
  // A refusal makes plan exit 2 and shows the safe way.
  dir.Write("migrations/V1.05__widen.sql", "ALTER TABLE customers ALTER COLUMN id TYPE numeric;\n");
  r = tide({"plan"});
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.out.find("REFUSED"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("safe way"), std::string::npos);
  // Nothing was applied by planning.
  EXPECT_EQ(Value("SELECT count(*) FROM flyway_schema_history"), "1");
}

}  // namespace
}  // namespace tide::testing
