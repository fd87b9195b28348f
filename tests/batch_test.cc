// Statements as written sent together in one round trip (a file of seed data): the rows come
// out as a plain run's, and a failure still names the file and line of the statement that
// failed, with the server's column inside it, and leaves nothing of the file behind.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "harness.h"

namespace tide::testing {
namespace {

class DbBatchTest : public DbTest {};

TEST_F(DbBatchTest, RunBatchNamesTheStatementThatFailed) {
  pg::Connection conn = Connect();
  ASSERT_TRUE(conn.Exec("CREATE TABLE t (id int PRIMARY KEY, note text)").ok());
  ASSERT_TRUE(conn.Exec("BEGIN").ok());
  size_t failed = 99;
  // A comment at the end of a statement must not swallow the separator.
  ASSERT_TRUE(
      conn.RunBatch({"INSERT INTO t VALUES (1, 'é') -- one", "INSERT INTO t VALUES (2, 'x')"},
                    &failed)
          .ok());
  ASSERT_TRUE(conn.Exec("COMMIT").ok());
  ASSERT_TRUE(conn.Exec("BEGIN").ok());
  Status dup = conn.RunBatch({"INSERT INTO t VALUES (3, 'ü')", "INSERT INTO t VALUES (1, 'x')",
                              "INSERT INTO t VALUES (4, 'x')"},
                             &failed);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(failed, 1u);
  EXPECT_EQ(dup.error().sqlstate(), "23505");
  ASSERT_TRUE(conn.Exec("ROLLBACK").ok());
  // The position counts characters from the failing statement, after multi-byte text.
  Status missing =
      conn.RunBatch({"INSERT INTO t VALUES (5, '東京東京')", "SELECT nope FROM t"}, &failed);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(failed, 1u);
  EXPECT_EQ(missing.error().sqlstate(), "42703");
  EXPECT_EQ(missing.error().position(), 8);
  // Outside a transaction block the batch is one implicit transaction: nothing of it stays.
  EXPECT_EQ(Value("SELECT count(*) FROM t"), "2");
}

class CliBatchTest : public DbTest {
 protected:
  // A file of seed data: CREATE TABLE on line 2, then one INSERT a line from line 3.
  std::string SeedFile(int rows, int bad_row, const std::string& bad_insert) {
    std::string text = "-- seed\nCREATE TABLE seed (id int PRIMARY KEY, note text NOT NULL);\n";
    for (int i = 1; i <= rows; ++i) {
      text += i == bad_row ? bad_insert + "\n"
                           : fmt::format("INSERT INTO seed VALUES ({}, 'Größe {}');\n", i, i);
    }
    return text;
  }
  TideRun Migrate(const std::string& sql) {
    dir_.Write("migrations/V1__seed.sql", sql);
    return RunTide(
        {"--url", url(), "--locations", (dir_.path() / "migrations").string(), "-q", "migrate"},
        dir_.path());
  }
  TempDir dir_;
};

TEST_F(CliBatchTest, SeedFileRunsAndAFailureNamesItsLine) {
  // Row 3000 repeats id 17: line 3002 of the file.
  TideRun dup = Migrate(SeedFile(5000, 3000, "INSERT INTO seed VALUES (17, 'again');"));
  EXPECT_NE(dup.exit_code, 0) << dup.all();
  EXPECT_NE(dup.all().find("V1__seed.sql:3002"), std::string::npos) << dup.all();
  EXPECT_EQ(Value("SELECT to_regclass('seed') IS NULL"), "t");  // rolled back, all of it
  // A column that does not exist: the line, and the server's column inside it.
  TideRun column = Migrate(SeedFile(5000, 4321, "INSERT INTO seed (id, nope) VALUES (0, 'x');"));
  EXPECT_NE(column.exit_code, 0) << column.all();
  EXPECT_NE(column.all().find("V1__seed.sql:4323:23"), std::string::npos) << column.all();
  EXPECT_EQ(Value("SELECT to_regclass('seed') IS NULL"), "t");
  TideRun good = Migrate(SeedFile(5000, 0, ""));
  ASSERT_EQ(good.exit_code, 0) << good.all();
  EXPECT_EQ(Value("SELECT count(*) FROM seed"), "5000");
  EXPECT_EQ(Value("SELECT note FROM seed WHERE id = 4999"), "Größe 4999");
}

}  // namespace
}  // namespace tide::testing
