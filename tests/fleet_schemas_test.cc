// tide --schemas GLOB: one history per tenant schema of one database, a few at a time; one broken
// schema is reported while the others finish, and a rerun runs only that one.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "harness.h"

namespace tide::testing {
namespace {

class DbFleetSchemasTest : public DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    // ${flyway:defaultSchema} names the tenant's schema; V2's unqualified name finds it through
    // the search_path tide sets per schema.
    dir_.Write("migrations/V1__accounts.sql",
               "CREATE TABLE ${flyway:defaultSchema}.accounts (id bigint PRIMARY KEY, name text);\n");
    dir_.Write("migrations/V2__email.sql", "ALTER TABLE accounts ADD COLUMN email text;\n");
  }
  TideRun Tide(const std::vector<std::string>& args) { return RunTide(args, dir_.path()); }
  static std::string Tenant(int i) { return fmt::format("tenant_{:03}", i); }
  TempDir dir_;
};

TEST_F(DbFleetSchemasTest, OneBrokenSchemaOfAHundredIsReportedAndTheRerunRunsOnlyIt) {
  constexpr int kSchemas = 100, kBroken = 42;
  std::string ddl;
  for (int i = 0; i < kSchemas; ++i) ddl += "CREATE SCHEMA " + Tenant(i) + ";";
  // tenantx matches the LIKE pattern tenant_% but not the glob tenant_*.
  ddl += "CREATE SCHEMA tenantx; CREATE SCHEMA other;";
  ddl += "CREATE TABLE " + Tenant(kBroken) + ".accounts (id int);";
  Sql(ddl);
  std::vector<std::string> args = {"--url", url(), "--schemas", "tenant_*", "--parallel", "4",
                                   "--json", "migrate"};
  TideRun r = Tide(args);
  EXPECT_EQ(r.exit_code, 1) << r.all();
  auto doc = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << r.out;
  ASSERT_EQ(doc["targets"].size(), static_cast<size_t>(kSchemas)) << r.out;
  for (int i = 0; i < kSchemas; ++i) {
    const auto& t = doc["targets"][i];
    EXPECT_EQ(t["schema"], Tenant(i)) << t.dump();
    if (i == kBroken) {
      EXPECT_EQ(t["outcome"], "failed") << t.dump();
      EXPECT_NE(t["error"].get<std::string>().find("accounts"), std::string::npos) << t.dump();
    } else {
      EXPECT_EQ(t["outcome"], "ok") << t.dump();
      EXPECT_EQ(t["result"]["applied"].size(), 2u) << t.dump();
    }
  }
  EXPECT_EQ(Value("SELECT count(*) FROM pg_attribute WHERE attname = 'email' AND attrelid IN "
                  "(SELECT oid FROM pg_class WHERE relname = 'accounts')"),
            std::to_string(kSchemas - 1));
  EXPECT_EQ(Value("SELECT count(*) FROM " + Tenant(0) + ".flyway_schema_history WHERE success"),
            "2");
  for (std::string untouched : {"public", "tenantx", "other"}) {
    EXPECT_EQ(Value("SELECT to_regclass('" + untouched + ".flyway_schema_history') IS NULL"), "t");
  }
  // Repaired, the rerun runs the one schema left.
  Sql("DROP TABLE " + Tenant(kBroken) + ".accounts");
  args.erase(args.end() - 2);  // --json
  r = Tide(args);
  EXPECT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("1 ok, 99 skipped"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("100 target schemas"), std::string::npos) << r.out;
  EXPECT_EQ(Value("SELECT count(*) FROM " + Tenant(kBroken) +
                  ".flyway_schema_history WHERE success"),
            "2");
  // info per schema; a pattern that matches nothing says so.
  r = Tide({"--url", url(), "--schemas", "tenant_00?", "info"});
  EXPECT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("10 target schemas: 10 ok"), std::string::npos) << r.out;
  r = Tide({"--url", url(), "--schemas", "nobody_*", "info"});
  EXPECT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.all().find("no schema: none matches --schemas nobody_*"), std::string::npos) << r.all();
}

}  // namespace
}  // namespace tide::testing
