#pragma once
// Test support: one throwaway PostgreSQL cluster per test binary run (started on first use,
// removed at exit), a fresh database per test, scratch folders, and running the tide binary.
// Integration fixtures are named Db* or Cli* so CTest can run them apart from unit tests.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/subprocess.h"
#include "pg/cluster.h"
#include "pg/connection.h"

namespace tide::testing {

// The shared cluster; aborts the test binary if it cannot start.
pg::LocalCluster& SharedCluster();
void StopSharedCluster();

// A folder under /tmp removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // Writes text to path()/relative, creating folders.
  std::filesystem::path Write(const std::string& relative, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

struct TideRun {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
  std::string all() const { return out + err; }
};

// Runs the tide binary with args in cwd; env entries are "NAME=value".
TideRun RunTide(const std::vector<std::string>& args, const std::filesystem::path& cwd = {},
                const std::vector<std::string>& env = {});

// Copies the customers scenario's migrations into dir/migrations (tests use the example copy).
std::filesystem::path CustomersMigrations();

// A fixture with its own database on the shared cluster.
class DbTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // key=value conninfo for this test's database.
  const std::string& url() const { return url_; }
  const std::string& dbname() const { return dbname_; }
  pg::Connection Connect(const std::string& application_name = "tide-test") const;
  // Runs SQL on a fresh connection, failing the test on error.
  pg::PgResult Sql(const std::string& sql) const;
  std::string Value(const std::string& sql) const;

 private:
  std::string dbname_;
  std::string url_;
};

}  // namespace tide::testing

namespace tide::testing {

// tide running in the background, its output going to files; for killing it part-way.
class TideProcess {
 public:
  TideProcess(const std::vector<std::string>& args, const std::filesystem::path& cwd,
              const std::vector<std::string>& env = {});
  ~TideProcess();
  int pid() const { return pid_; }
  void Kill(int signal);
  // Waits for the exit and returns what it printed.
  TideRun Wait();
  bool Running();
  // What it printed so far (stdout, then stderr).
  std::string Output() const;
  // Waits until the process stopped itself (TIDE_FAULT=...:stop), or the timeout passed.
  bool WaitStopped(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Waits until Output() holds text, or the process ended, or the timeout passed.
  bool WaitOutput(const std::string& text,
                  std::chrono::milliseconds timeout = std::chrono::seconds(60));

 private:
  int pid_ = -1;
  std::filesystem::path out_, err_;
  bool reaped_ = false;
  int status_ = 0;
};

// Polls sql on url until it returns a row whose first column is "t", or the timeout passes.
bool WaitFor(const std::string& url, const std::string& sql,
             std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace tide::testing
