// Every source of a setting, as a Flyway project and tide's own users give them, and which one
// wins: flags > -Dflyway.x=y > TIDE_* > FLYWAY_* > tide.toml > flyway.toml > flyway.conf.
// `tide info --sources --json` shows the merged value and its source without a database.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "harness.h"

namespace tide::testing {
namespace {

class CliFlywaySettingsTest : public ::testing::Test {
 protected:
  // name -> {value, source}
  std::map<std::string, std::pair<std::string, std::string>> Sources(
      std::vector<std::string> args, const std::vector<std::string>& env = {}) {
    args.insert(args.end(), {"--json", "info", "--sources"});
    last_ = RunTide(args, dir_.path(), env);
    EXPECT_EQ(last_.exit_code, 0) << last_.all();
    std::map<std::string, std::pair<std::string, std::string>> out;
    if (last_.exit_code != 0) return out;
    auto doc = nlohmann::json::parse(last_.out);
    for (const auto& s : doc["settings"]) out[s["name"]] = {s["value"], s["source"]};
    return out;
  }
  TempDir dir_;
  TideRun last_;
};

TEST_F(CliFlywaySettingsTest, FlywayConfWithJdbcUrl) {
  dir_.Write("flyway.conf",
             "flyway.url=jdbc:postgresql://db.internal:6543/orders?ssl=true\n"
             "flyway.user=deployer\n"
             "flyway.password=conf-secret\n"
             "flyway.table=schema_history\n"
             "flyway.locations=filesystem:sql/common,classpath:db/migration\n"
             "flyway.outOfOrder=true\n"
             "flyway.baselineVersion=3\n");
  auto s = Sources({});
  EXPECT_EQ(s["url"].first, "user=deployer dbname=orders host=db.internal port=6543");
  EXPECT_EQ(s["url"].second, "flyway.conf:1");
  EXPECT_EQ(s["history_table"],
            std::make_pair(std::string("schema_history"), std::string("flyway.conf:4")));
  EXPECT_EQ(s["locations"].first, "sql/common, src/main/resources/db/migration");
  EXPECT_EQ(s["out_of_order"].first, "true");
  EXPECT_EQ(s["baseline_version"].first, "3");
  EXPECT_EQ(last_.all().find("conf-secret"), std::string::npos) << last_.all();
}

TEST_F(CliFlywaySettingsTest, FlywayTomlEnvironmentChosenByFlag) {
  dir_.Write("flyway.toml",
             "[environments.default]\n"
             "url = \"jdbc:postgresql://localhost/dev\"\n"
             "[environments.staging]\n"
             "url = \"jdbc:postgresql://staging.internal/app\"\n"
             "schemas = [\"app\"]\n"
             "[environments.staging.flyway]\n"
             "table = \"staging_history\"\n"
             "[flyway]\n"
             "locations = [\"filesystem:sql\"]\n"
             "table = \"history\"\n");
  auto dev = Sources({});
  EXPECT_EQ(dev["url"].first, "dbname=dev host=localhost port=5432");
  EXPECT_EQ(dev["url"].second, "flyway.toml:2");
  EXPECT_EQ(dev["history_table"].first, "history");
  auto staging = Sources({"--environment", "staging"});
  EXPECT_EQ(staging["url"].first, "dbname=app host=staging.internal port=5432");
  EXPECT_EQ(staging["schema"], std::make_pair(std::string("app"), std::string("flyway.toml:5")));
  EXPECT_EQ(staging["history_table"].first, "staging_history");
  EXPECT_EQ(staging["locations"].first, "sql");
  // The environment variable Flyway documents chooses it too.
  EXPECT_EQ(Sources({}, {"flyway_environment=staging"})["history_table"].first, "staging_history");
  TideRun missing = RunTide({"--environment", "prod", "info", "--sources"}, dir_.path());
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("no environment 'prod'"), std::string::npos) << missing.err;
}

TEST_F(CliFlywaySettingsTest, EachLayerBeatsTheOneBelow) {
  dir_.Write("flyway.conf", "flyway.schemas=from_conf\nflyway.placeholders.owner=conf\n");
  auto s = Sources({});
  EXPECT_EQ(s["schema"], std::make_pair(std::string("from_conf"), std::string("flyway.conf:1")));

  dir_.Write("flyway.toml", "[flyway]\nschemas = [\"from_flyway_toml\"]\n");
  EXPECT_EQ(Sources({})["schema"].first, "from_flyway_toml");

  dir_.Write("tide.toml", "schema = \"from_tide_toml\"\n[placeholders]\nowner = \"tide\"\n");
  s = Sources({});
  EXPECT_EQ(s["schema"], std::make_pair(std::string("from_tide_toml"), std::string("tide.toml:1")));
  EXPECT_EQ(s["placeholders.owner"],
            std::make_pair(std::string("tide"), std::string("tide.toml:3")));

  std::vector<std::string> env = {"FLYWAY_SCHEMAS=from_flyway_env",
                                  "FLYWAY_PLACEHOLDERS_OWNER=env"};
  s = Sources({}, env);
  EXPECT_EQ(s["schema"],
            std::make_pair(std::string("from_flyway_env"), std::string("env FLYWAY_SCHEMAS")));
  EXPECT_EQ(s["placeholders.owner"].first, "env");

  env.push_back("TIDE_SCHEMA=from_tide_env");
  EXPECT_EQ(Sources({}, env)["schema"].first, "from_tide_env");

  s = Sources({"-Dflyway.schemas=from_define", "-Dflyway.placeholders.owner=define"}, env);
  EXPECT_EQ(s["schema"],
            std::make_pair(std::string("from_define"), std::string("flag -Dflyway.schemas")));
  EXPECT_EQ(s["placeholders.owner"].first, "define");

  s = Sources({"-Dflyway.schemas=from_define", "--schema", "from_flag"}, env);
  EXPECT_EQ(s["schema"], std::make_pair(std::string("from_flag"), std::string("flag --schema")));
}

TEST_F(CliFlywaySettingsTest, FlywayCredentialsJoinTheFlywayUrlFromAnyLayer) {
  dir_.Write("flyway.conf", "flyway.url=jdbc:postgresql://db.internal/app\n");
  auto s = Sources({}, {"FLYWAY_USER=ci_user", "FLYWAY_PASSWORD=env-secret"});
  EXPECT_EQ(s["url"].first, "user=ci_user dbname=app host=db.internal port=5432");
  EXPECT_EQ(last_.all().find("env-secret"), std::string::npos);
  // A tide URL wins over flyway.url; the Flyway credentials then go unused, and tide says so.
  s = Sources({}, {"FLYWAY_USER=ci_user", "TIDE_URL=postgresql://other@db2/app"});
  EXPECT_EQ(s["url"].second, "env TIDE_URL");
  EXPECT_NE(last_.err.find("flyway.user was not used"), std::string::npos) << last_.err;
}

TEST_F(CliFlywaySettingsTest, UnsupportedOptionsAreNamedInWarnings) {
  dir_.Write("flyway.conf",
             "flyway.url=jdbc:postgresql://h/app?prepareThreshold=0\n"
             "flyway.cleanDisabled=true\n"
             "flyway.encoding=ISO-8859-1\n"
             "flyway.callbacks=com.example.AuditCallback\n"
             "flyway.validateOnMigrate=true\n"
             "spring.datasource.url=x\n");
  auto s = Sources({"-Dflyway.cherryPick=2.0"});
  const std::string& err = last_.err;
  EXPECT_NE(err.find("flyway.conf:1: JDBC property prepareThreshold"), std::string::npos) << err;
  EXPECT_NE(err.find("flyway.conf:3: flyway.encoding=ISO-8859-1 is not supported"),
            std::string::npos);
  EXPECT_NE(err.find("flyway.conf:4: flyway.callbacks is not supported"), std::string::npos);
  EXPECT_NE(err.find("flyway.conf:6: 'spring.datasource.url' is not a Flyway setting"),
            std::string::npos);
  EXPECT_NE(err.find("flag -Dflyway.cherryPick: flyway.cherryPick is not supported"),
            std::string::npos);
  // Settings whose value is what tide does anyway are accepted quietly.
  EXPECT_EQ(err.find("cleanDisabled"), std::string::npos) << err;
  EXPECT_EQ(err.find("validateOnMigrate"), std::string::npos) << err;
}

TEST_F(CliFlywaySettingsTest, BadValuesAreInputErrorsNamingTheirSource) {
  dir_.Write("flyway.conf", "flyway.outOfOrder=yes\n");
  TideRun r = RunTide({"info", "--sources"}, dir_.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("flyway.conf:1: flyway.outOfOrder must be true or false"), std::string::npos)
      << r.err;
  dir_.Write("flyway.conf", "flyway.url=jdbc:mysql://h/app\n");
  r = RunTide({"info", "--sources"}, dir_.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("PostgreSQL only"), std::string::npos) << r.err;
  r = RunTide({"-Dflyway.target", "info", "--sources"}, dir_.path());
  EXPECT_EQ(r.exit_code, 2) << r.all();
}

}  // namespace
}  // namespace tide::testing
