#include "source/discovery.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace tide::source {
namespace {

namespace fs = std::filesystem;

class DiscoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tide-discovery-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& rel, const std::string& text) {
    fs::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel) << text;
  }
  fs::path dir_;
};

TEST_F(DiscoveryTest, OrdersVersionsNumericallyThenRepeatables) {
  Write("V1.10__ten.sql", "SELECT 10;");
  Write("V1.9__nine.sql", "SELECT 9;");
  Write("sub/V2__in_subdir.sql", "SELECT 2;");
  Write("R__refresh_views.sql", "SELECT 0;");
  Write("V1__create_customers.sql", "SELECT 1;");
  Write("README.md", "not a migration");
  auto d = Discover({dir_});
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  const auto& m = d->migrations;
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0].VersionText(), "1");
  EXPECT_EQ(m[0].description, "create customers");
  EXPECT_EQ(m[1].VersionText(), "1.9");
  EXPECT_EQ(m[2].VersionText(), "1.10");
  EXPECT_EQ(m[3].script, "sub/V2__in_subdir.sql");
  EXPECT_EQ(m[4].kind, MigrationKind::kRepeatable);
  EXPECT_EQ(m[4].description, "refresh views");
}

TEST_F(DiscoveryTest, SameVersionTwiceIsAnErrorNamingBothFiles) {
  Write("V1.0__a.sql", "SELECT 1;");
  Write("V1__b.sql", "SELECT 1;");
  auto d = Discover({dir_});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().ExitCode(), 2);
  EXPECT_NE(d.error().message().find("V1.0__a.sql"), std::string::npos);
  EXPECT_NE(d.error().message().find("V1__b.sql"), std::string::npos);
}

TEST_F(DiscoveryTest, UnparsableVersionIsAnErrorNamingTheFile) {
  Write("V1.a__bad.sql", "SELECT 1;");
  auto d = Discover({dir_});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().ExitCode(), 2);
  EXPECT_NE(d.error().ToString().find("V1.a__bad.sql"), std::string::npos);
}

TEST_F(DiscoveryTest, MissingSeparatorOnAVersionIsAnErrorButHelperFilesAreSkipped) {
  Write("Views.sql", "SELECT 1;");
  auto ok = Discover({dir_});
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->migrations.empty());
  EXPECT_EQ(ok->warnings.size(), 1u);
  Write("V2_add_index.sql", "SELECT 1;");
  auto d = Discover({dir_});
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().ToString().find("V2_add_index.sql"), std::string::npos);
}

TEST_F(DiscoveryTest, UnreadableFileIsAnError) {
  fs::create_symlink(dir_ / "nowhere.sql", dir_ / "V3__dangling.sql");
  auto d = Discover({dir_});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().ExitCode(), 2);
  EXPECT_NE(d.error().message().find("V3__dangling.sql"), std::string::npos);
}

TEST_F(DiscoveryTest, MissingLocationIsAnError) {
  auto d = Discover({dir_ / "nope"});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().ExitCode(), 2);
}

}  // namespace
}  // namespace tide::source
