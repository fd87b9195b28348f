#include "config/flyway_conf.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "config/settings.h"

namespace tide::config {
namespace {

namespace fs = std::filesystem;

std::optional<std::string> FakeEnv(const char* name) {
  if (std::string(name) == "DB_HOST") return "db.internal";
  if (std::string(name) == "FLYWAY_OUT_OF_ORDER") return "true";
  if (std::string(name) == "FLYWAY_PLACEHOLDERS_OWNER") return "team_a";
  if (std::string(name) == "FLYWAY_PLACEHOLDERS_SCHEMA_NAME") return "app";
  return std::nullopt;
}
std::vector<std::string> FakeEnvNames() {
  return {"DB_HOST", "FLYWAY_OUT_OF_ORDER", "FLYWAY_PLACEHOLDERS_OWNER",
          "FLYWAY_PLACEHOLDERS_SCHEMA_NAME", "PATH"};
}

class FlywayConfTest : public ::testing::Test {
 protected:
  fs::path Write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  void SetUp() override {
    char tmpl[] = "/tmp/tide-conf-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(FlywayConfTest, PropertiesAsFlywayReadsThem) {
  fs::path f = Write("flyway.conf",
                     "# comment\n"
                     "! also a comment\n"
                     "flyway.url = jdbc:postgresql://${DB_HOST}:5432/app${UNSET_VAR}\r\n"
                     "flyway.locations=filesystem:sql,\\\n"
                     "   classpath:db/migration\n"
                     "flyway.installedBy: ci\n"
                     "flyway.placeholders.dir=C:\\temp\\\n"
                     "\n"
                     "flyway.placeholders.empty=\n"
                     "flyway.placeholders.kept=${not-a-name} ${} ${DB_HOST ${DB_HOST}}\n"
                     "other.key=1\n");
  std::vector<std::string> warnings;
  auto props = ReadFlywayConf(f, &FakeEnv, warnings);
  ASSERT_TRUE(props.ok()) << props.error().ToString();
  EXPECT_EQ((*props)["url"].value, "jdbc:postgresql://db.internal:5432/app");
  EXPECT_EQ((*props)["url"].source, f.string() + ":3");
  EXPECT_EQ((*props)["locations"].value, "filesystem:sql,classpath:db/migration");
  EXPECT_EQ((*props)["installedBy"].value, "ci");
  EXPECT_EQ((*props)["placeholders.dir"].value, "C:\\temp\\");
  EXPECT_EQ((*props)["placeholders.empty"].value, "");
  EXPECT_EQ((*props)["placeholders.kept"].value, "${not-a-name} ${} ${DB_HOST db.internal}");
  EXPECT_EQ((*props)["locations"].layer, Layer::kFlywayConf);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("other.key"), std::string::npos);
}

TEST_F(FlywayConfTest, TomlEnvironmentsAndOverrides) {
  fs::path f = Write("flyway.toml",
                     "[environments.default]\n"
                     "url = \"jdbc:postgresql://localhost/dev\"\n"
                     "[environments.prod]\n"
                     "url = \"jdbc:postgresql://${env.DB_HOST}/prod\"\n"
                     "user = \"deployer\"\n"
                     "schemas = [\"app\", \"audit\"]\n"
                     "[environments.prod.flyway]\n"
                     "target = \"2.0\"\n"
                     "[flyway]\n"
                     "locations = [\"filesystem:sql\"]\n"
                     "target = \"latest\"\n"
                     "[flyway.placeholders]\n"
                     "owner = \"ops\"\n");
  std::vector<std::string> warnings;
  auto dev = ReadFlywayToml(f, "", &FakeEnv, warnings);
  ASSERT_TRUE(dev.ok()) << dev.error().ToString();
  EXPECT_EQ((*dev)["url"].value, "jdbc:postgresql://localhost/dev");
  EXPECT_EQ((*dev)["target"].value, "latest");
  auto prod = ReadFlywayToml(f, "prod", &FakeEnv, warnings);
  ASSERT_TRUE(prod.ok());
  EXPECT_EQ((*prod)["url"].value, "jdbc:postgresql://db.internal/prod");
  EXPECT_EQ((*prod)["url"].source, f.string() + ":4");
  EXPECT_EQ((*prod)["schemas"].value, "app,audit");
  EXPECT_EQ((*prod)["target"].value, "2.0");
  EXPECT_EQ((*prod)["placeholders.owner"].value, "ops");
  EXPECT_EQ((*prod)["locations"].value, "filesystem:sql");
  auto missing = ReadFlywayToml(f, "staging", &FakeEnv, warnings);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("staging"), std::string::npos);
}

TEST_F(FlywayConfTest, EnvironmentVariablesAndDefines) {
  FlywayProps env = ReadFlywayEnv(&FakeEnv, &FakeEnvNames);
  EXPECT_EQ(env["outOfOrder"].value, "true");
  EXPECT_EQ(env["outOfOrder"].source, "env FLYWAY_OUT_OF_ORDER");
  EXPECT_EQ(env["placeholders.owner"].value, "team_a");
  EXPECT_EQ(env["placeholders.schema_name"].value, "app");
  EXPECT_EQ(env.count("url"), 0u);

  std::vector<std::string> warnings;
  auto defines =
      ReadFlywayDefines({"flyway.target=1.1", "flyway.placeholders.a=x=y", "foo=1"}, warnings);
  ASSERT_TRUE(defines.ok());
  EXPECT_EQ((*defines)["target"].value, "1.1");
  EXPECT_EQ((*defines)["target"].layer, Layer::kDefine);
  EXPECT_EQ((*defines)["placeholders.a"].value, "x=y");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_FALSE(ReadFlywayDefines({"flyway.target"}, warnings).ok());

  FlywayProps merged = env;
  MergeProps(merged, *defines);
  FlywayProps low = {{"outOfOrder", {"false", "flyway.conf:1", Layer::kFlywayConf}}};
  MergeProps(merged, low);
  EXPECT_EQ(merged["outOfOrder"].value, "true") << "a lower layer must not override";
}

TEST(FlywayLocationTest, FilesystemClasspathAndBare) {
  EXPECT_EQ(ResolveLocation("filesystem:db/sql", "", true), fs::path("db/sql"));
  EXPECT_EQ(ResolveLocation("classpath:db/migration", "", false),
            fs::path("src/main/resources/db/migration"));
  EXPECT_EQ(ResolveLocation("db/migration", "", true), fs::path("src/main/resources/db/migration"));
  EXPECT_EQ(ResolveLocation("migrations", "/proj", false), fs::path("/proj/migrations"));
}

}  // namespace
}  // namespace tide::config
