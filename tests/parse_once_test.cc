// One `tide migrate` parses and classifies each migration file once: the phase judge, the
// schedule, the planner and the executor read one object (MigrationFile::Classified), and the
// files already applied are read once for what later plans need of them, and not at all when
// nothing is pending. Run in this process, so that the count is this run's.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli/app.h"
#include "harness.h"
#include "sql/classify.h"

namespace tide::testing {
namespace {

namespace fs = std::filesystem;

class DbParseOnceTest : public DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    dir_ = fs::temp_directory_path() / fmt::format("tide-parse-once-{}", dbname());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    fs::remove_all(dir_);
    DbTest::TearDown();
  }
  void Write(const std::string& name, const std::string& sql) { std::ofstream(dir_ / name) << sql; }
  // Runs `tide migrate` in this process; returns how many files it classified.
  uint64_t Migrate() {
    uint64_t before = sql::ScriptsClassified();
    std::vector<std::string> args = {"tide", "-q", "--url", url(), "--locations", dir_.string(),
                                     "migrate"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    EXPECT_EQ(cli::Main(static_cast<int>(argv.size()), argv.data()), 0);
    return sql::ScriptsClassified() - before;
  }

  fs::path dir_;
};

TEST_F(DbParseOnceTest, MigrateClassifiesEachFileOnce) {
  Write("V1__create.sql", "CREATE TABLE t (id bigint PRIMARY KEY, a text);\n");
  Write("V2__fill.sql", "INSERT INTO t VALUES (1, 'x'), (2, 'y');\nUPDATE t SET a = upper(a);\n");
  EXPECT_EQ(Migrate(), 2u);
  Write("V3__column.sql", "ALTER TABLE t ADD COLUMN b text;\nUPDATE t SET b = a;\n");
  Write("V4__index.sql", "CREATE INDEX t_b ON t (b);\n");
  Write("V5__view.sql", "CREATE VIEW v AS SELECT id, b FROM t;\n");
  // Three pending files once each, and the two applied ones once for what they did.
  EXPECT_EQ(Migrate(), 5u);
  EXPECT_EQ(Value("SELECT string_agg(b, ',' ORDER BY id) FROM t"), "X,Y");
  // Nothing pending: nothing read.
  EXPECT_EQ(Migrate(), 0u);
}

}  // namespace
}  // namespace tide::testing
