#include "migrate/placeholders.h"

#include <gtest/gtest.h>

#include "source/checksum.h"

namespace tide::migrate {

using source::FlywayChecksum;
using source::MigrationFile;
using source::MigrationKind;
namespace {

Placeholders Make() {
  Placeholders p;
  p.values = {
      {"owner", "app_owner"}, {"loop", "${owner}"}, {"empty", ""}, {"flyway:user", "deployer"}};
  return p;
}

TEST(PlaceholdersTest, ReplacesEverywhereOnceAndKeepsTheRest) {
  auto out = ReplacePlaceholders(
      "ALTER TABLE t OWNER TO ${owner}; -- by ${flyway:user}\nSELECT '${loop}', '${empty}x', "
      "'$', '{owner}', '${flyway:filename}';",
      Make(), "V1__a.sql", "db/V1__a.sql");
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(*out,
            "ALTER TABLE t OWNER TO app_owner; -- by deployer\nSELECT '${owner}', 'x', '$', "
            "'{owner}', 'V1__a.sql';");
}

TEST(PlaceholdersTest, UndefinedNamesFileLineAndColumn) {
  auto out = ReplacePlaceholders("SELECT 1;\n\n  GRANT ALL TO ${reader};\n", Make(), "V2__b.sql",
                                 "db/V2__b.sql");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().ExitCode(), 2);
  EXPECT_NE(out.error().message().find("${reader}"), std::string::npos);
  ASSERT_TRUE(out.error().location());
  EXPECT_EQ(out.error().location()->file, "db/V2__b.sql");
  EXPECT_EQ(out.error().location()->line, 3);
  EXPECT_EQ(out.error().location()->column, 16);
  EXPECT_NE(out.error().ToString().find("db/V2__b.sql:3:16"), std::string::npos);
  EXPECT_NE(out.error().hint().find("flyway.placeholders.reader"), std::string::npos);

  auto builtin = ReplacePlaceholders("${flyway:nothing}", Make(), "f", "f");
  ASSERT_FALSE(builtin.ok());
  EXPECT_NE(builtin.error().message().find("built-in"), std::string::npos);
  EXPECT_FALSE(ReplacePlaceholders("SELECT '${owner'", Make(), "f", "f").ok());
}

TEST(PlaceholdersTest, CustomPrefixSuffix) {
  Placeholders p = Make();
  p.prefix = "#[";
  p.suffix = "]";
  auto out = ReplacePlaceholders("SELECT '${owner}', '#[owner]', arr[1];", p, "f", "f");
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(*out, "SELECT '${owner}', 'app_owner', arr[1];");
  p.enabled = false;
  auto off = ReplacePlaceholders("SELECT '#[undefined]';", p, "f", "f");
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(*off, "SELECT '#[undefined]';");
}

TEST(PlaceholdersTest, ResolveSqlKeepsContentAndChecksum) {
  MigrationFile f;
  f.path = "db/V1__a.sql";
  f.content = "CREATE SCHEMA ${owner};";
  f.checksum = 42;
  ASSERT_TRUE(ResolveSql(f, Make()).ok());
  EXPECT_EQ(f.SqlText(), "CREATE SCHEMA app_owner;");
  EXPECT_EQ(f.content, "CREATE SCHEMA ${owner};");
  EXPECT_EQ(f.checksum, 42);
  f.placeholder_replacement = false;  // placeholderReplacement=false in V1__a.sql.conf
  ASSERT_TRUE(ResolveSql(f, Make()).ok());
  EXPECT_EQ(f.SqlText(), "CREATE SCHEMA ${owner};");
}

TEST(PlaceholdersTest, RepeatableChecksumIsOfTheReplacedText) {
  MigrationFile r;
  r.kind = MigrationKind::kRepeatable;
  r.path = "db/R__v.sql";
  r.content = "CREATE VIEW v AS SELECT '${owner}';";
  r.checksum = FlywayChecksum(r.content);
  ASSERT_TRUE(ResolveSql(r, Make()).ok());
  EXPECT_EQ(r.checksum, FlywayChecksum("CREATE VIEW v AS SELECT 'app_owner';"));
  Placeholders off = Make();
  off.enabled = false;
  r.checksum = FlywayChecksum(r.content);
  ASSERT_TRUE(ResolveSql(r, off).ok());
  EXPECT_EQ(r.checksum, FlywayChecksum(r.content));
}

}  // namespace
}  // namespace tide::migrate
