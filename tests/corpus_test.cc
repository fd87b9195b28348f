// The replay corpus (tests/corpus/): real projects' complete migration histories, replayed onto an
// empty database by `tide migrate` and by a plain run (`migrate --plain`: each file in one
// transaction, statements as written, as Flyway runs them). Both must apply every file, record
// Flyway's checksums, and leave the same schema (pg_dump, every name) and the same rows; `tide
// validate` is clean afterwards and `tide lint` reads every file without a syntax error.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "customers_cycle.h"
#include "db_compare.h"
#include "harness.h"
#include "pg/connection.h"
#include "source/checksum.h"

namespace tide::testing {
namespace {

namespace fs = std::filesystem;

fs::path CorpusDir(const std::string& project) {
  return fs::path(TIDE_SOURCE_DIR) / "tests" / "corpus" / project;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Migration files by name (V... and R...), as Flyway would pick them up.
std::map<std::string, std::string> MigrationFiles(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name.ends_with(".sql") && (name[0] == 'V' || name[0] == 'R')) {
      files[name] = ReadFile(entry.path());
    }
  }
  return files;
}

std::string Run(pg::Connection& conn, const std::string& sql) {
  auto r = conn.Exec(sql);
  if (!r.ok()) {
    ADD_FAILURE() << sql << ": " << r.error().ToString();
    return "";
  }
  std::string out;
  for (int i = 0; i < r->rows(); ++i) {
    for (int c = 0; c < r->columns(); ++c) {
      out += (c ? " | " : "") + (r->IsNull(i, c) ? std::string("NULL") : r->Get(i, c));
    }
    out += "\n";
  }
  return out;
}

// Every user table's row count and a checksum of its sorted rows. Date and time columns count
// only as null or not: the histories insert rows stamped with now() (Harbor's admin user, its
// default project), which two runs made seconds apart cannot share.
std::string RowsWithoutTimestamps(const std::string& url) {
  auto conn = pg::Connection::Open(url, "tide-test-corpus");
  if (!conn.ok()) {
    ADD_FAILURE() << conn.error().ToString();
    return "";
  }
  auto tables = conn->Exec(
      "SELECT c.oid::regclass::text, string_agg(CASE WHEN t.typcategory = 'D' "
      "THEN format('%I IS NULL', a.attname) ELSE format('%I', a.attname) END, ', ' "
      "ORDER BY a.attnum) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
      "JOIN pg_type t ON t.oid = a.atttypid WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN "
      "('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND c.relname "
      "NOT IN ('flyway_schema_history', 'tide_migration_state', 'tide_run_log') "
      "GROUP BY c.oid ORDER BY 1");
  if (!tables.ok()) {
    ADD_FAILURE() << tables.error().ToString();
    return "";
  }
  std::string out;
  for (int i = 0; i < tables->rows(); ++i) {
    out += tables->Get(i, 0) + " " +
           Run(*conn,
               "SELECT count(*), md5(coalesce(string_agg(x, E'\\n' ORDER BY x), '')) "
               "FROM (SELECT ROW(" +
                   tables->Get(i, 1) + ")::text AS x FROM " + tables->Get(i, 0) + ") r");
  }
  return out;
}

class DbCorpusTest : public ::testing::TestWithParam<std::string> {
 protected:
  // A new database with the project's setup.sql (the environment its own runner provides).
  std::string NewDatabase(const std::string& stem) {
    std::string name = UniqueName(stem);
    CreateDatabase(name);
    databases_.push_back(name);
    std::string url = DatabaseUrl(name);
    fs::path setup = CorpusDir(GetParam()) / "setup.sql";
    if (fs::exists(setup)) {
      auto conn = pg::Connection::Open(url);
      EXPECT_TRUE(conn.ok() && conn->Exec(ReadFile(setup)).ok()) << setup;
    }
    return url;
  }
  TideRun Tide(const std::string& url, std::vector<std::string> args) {
    args.insert(args.begin(), {"--url", url, "--locations", migrations_.string()});
    return RunTide(args, cwd_.path());
  }
  void TearDown() override {
    for (const auto& name : databases_) DropDatabase(name);
  }

  fs::path migrations_ = CorpusDir(GetParam()) / "migrations";
  TempDir cwd_;  // no tide.toml: the defaults a new user starts from
  std::vector<std::string> databases_;
};

TEST_P(DbCorpusTest, ReplaysLikeAPlainRun) {
  auto files = MigrationFiles(migrations_);
  ASSERT_GT(files.size(), 10u);
  std::string tide_url = NewDatabase("corpus_tide");
  std::string plain_url = NewDatabase("corpus_plain");

  TideRun plain = Tide(plain_url, {"migrate", "--plain"});
  ASSERT_EQ(plain.exit_code, 0) << plain.all();
  TideRun tide = Tide(tide_url, {"migrate"});
  ASSERT_EQ(tide.exit_code, 0) << tide.all();

  // Every file applied once, successfully, with Flyway's checksum of the file as committed.
  auto conn = pg::Connection::Open(tide_url);
  ASSERT_TRUE(conn.ok());
  auto history = conn->Exec(
      "SELECT script, checksum, success FROM flyway_schema_history WHERE type = 'SQL' "
      "ORDER BY installed_rank");
  ASSERT_TRUE(history.ok()) << history.error().ToString();
  ASSERT_EQ(static_cast<size_t>(history->rows()), files.size());
  for (int i = 0; i < history->rows(); ++i) {
    std::string script = history->Get(i, 0);
    ASSERT_TRUE(files.contains(script)) << script;
    EXPECT_EQ(history->Get(i, 1), std::to_string(source::FlywayChecksum(files[script]))) << script;
    EXPECT_EQ(history->Get(i, 2), "t") << script;
  }

  Fingerprint got = TakeFingerprint(tide_url), want = TakeFingerprint(plain_url);
  EXPECT_FALSE(want.schema.empty());
  EXPECT_EQ(got.schema, want.schema) << "the schemas differ";
  EXPECT_EQ(got.history, want.history) << "the history differs";
  // The projects' own triggers are there in both; nothing of tide's may be.
  EXPECT_EQ(got.leftovers, want.leftovers) << "tide left objects behind";
  std::istringstream leftovers(got.leftovers);
  for (std::string line; std::getline(leftovers, line);) {
    EXPECT_TRUE(line.starts_with("trigger | ") && !line.starts_with("trigger | tide_")) << line;
  }
  EXPECT_EQ(RowsWithoutTimestamps(tide_url), RowsWithoutTimestamps(plain_url)) << "the rows differ";

  TideRun validate = Tide(tide_url, {"validate"});
  EXPECT_EQ(validate.exit_code, 0) << validate.all();
  TideRun again = Tide(tide_url, {"migrate"});
  EXPECT_EQ(again.exit_code, 0) << again.all();

  // Findings are expected in real histories; a file lint cannot read is not.
  TideRun lint = RunTide({"lint", "--color", "never", migrations_.string()}, cwd_.path());
  EXPECT_TRUE(lint.exit_code == 0 || lint.exit_code == 1) << lint.all();
}

INSTANTIATE_TEST_SUITE_P(DbCorpus, DbCorpusTest,
                         ::testing::Values("atuin", "harbor", "marquez", "cratesio"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace tide::testing
