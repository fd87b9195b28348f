// Server faults: the server restarted (fast or immediate shutdown) in the middle of a backfill
// and of a concurrent index build, tide's connection terminated, the server gone for longer than
// tide waits, the run lock taken while tide was away. tide reconnects with backoff and finishes
// exactly as an uninterrupted run does, or stops with a resumable state; its output says which.
#include <gtest/gtest.h>
#include <signal.h>

#include <optional>
#include <thread>

#include "base/strings.h"
#include "customers_cycle.h"
#include "db_compare.h"
#include "harness.h"

namespace tide::testing {
namespace {

namespace fs = std::filesystem;

class DbServerFaultTest : public ::testing::Test {
 protected:
  // A cluster of their own: restarting the shared one would break every other test.
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    fs::permissions(dir_->path(), fs::perms::others_exec, fs::perm_options::add);
    pg::ClusterOptions options;
    options.dir = dir_->path() / "cluster";
    auto made = pg::LocalCluster::Create(options);
    ASSERT_TRUE(made.ok()) << made.error().ToString();
    cluster_ = new pg::LocalCluster(std::move(made).value());
  }
  static void TearDownTestSuite() {
    if (cluster_) (void)cluster_->Destroy();
    delete cluster_;
    delete dir_;
    cluster_ = nullptr;
    dir_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(cluster_, nullptr);
    ASSERT_TRUE(cluster_->Start().ok());
    db_ = UniqueName("tide_server_fault");
    Admin("CREATE DATABASE " + db_);
    url_ = cluster_->SocketUrl(db_);
  }
  void TearDown() override {
    (void)cluster_->Start();
    Admin("DROP DATABASE IF EXISTS " + db_ + " WITH (FORCE)");
  }
  void Admin(const std::string& sql) {
    auto admin = pg::Connection::Open(cluster_->SocketUrl(), "tide-test-admin");
    ASSERT_TRUE(admin.ok()) << admin.error().ToString();
    auto r = admin->Exec(sql);
    ASSERT_TRUE(r.ok()) << sql << ": " << r.error().ToString();
  }
  std::string Value(const std::string& sql) {
    auto conn = pg::Connection::Open(url_, "tide-test");
    if (!conn.ok()) return "<" + conn.error().ToString() + ">";
    auto v = conn->QueryValue(sql);
    return v.ok() ? v->value_or("") : "<" + v.error().ToString() + ">";
  }
  // V1 and the seed; then V1.1 in the background, frozen (SIGSTOP) in the middle of its
  // backfill, after the fifth batch committed. The test does its harm, then lets it go on: its
  // next statement meets the fault.
  std::unique_ptr<TideProcess> StartExpandBackfill(const CustomersCycle& cycle) {
    TideRun r = cycle.Migrate(url_, "1");
    EXPECT_EQ(r.exit_code, 0) << r.all();
    CustomersCycle::Seed(url_);
    auto run = std::make_unique<TideProcess>(
        cycle.MigrateArgs(url_, "1.1"), cycle.dir(),
        std::vector<std::string>{"TIDE_FAULT=backfill.after_batch_commit:5:stop"});
    EXPECT_TRUE(run->WaitStopped()) << run->Output();
    return run;
  }
  // The rest of the cycle after V1.1, and the comparison with an uninterrupted run.
  void FinishAndCompare(const CustomersCycle& cycle, const std::string& what) {
    CustomersCycle::OldReleaseWrites(url_);
    TideRun r = cycle.Migrate(url_, "latest");
    ASSERT_EQ(r.exit_code, 0) << r.all();
    ExpectSameDatabase(TakeFingerprint(url_), CustomersReference().want, what);
  }
  // V1.2 waiting in its concurrent index build's last phase, held there by an old snapshot.
  std::unique_ptr<TideProcess> StartContractIndexBuild(const CustomersCycle& cycle,
                                                       pg::Connection& holder) {
    TideRun r = cycle.Migrate(url_, "1");
    EXPECT_EQ(r.exit_code, 0) << r.all();
    CustomersCycle::Seed(url_);
    r = cycle.Migrate(url_, "1.1");
    EXPECT_EQ(r.exit_code, 0) << r.all();
    CustomersCycle::OldReleaseWrites(url_);
    EXPECT_TRUE(holder.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1").ok());
    auto run = std::make_unique<TideProcess>(cycle.MigrateArgs(url_, "latest"), cycle.dir());
    EXPECT_TRUE(WaitFor(url_,
                        "SELECT EXISTS (SELECT 1 FROM pg_stat_progress_create_index "
                        "WHERE phase = 'waiting for old snapshots')"));
    return run;
  }
  void RestartDuringBackfill(pg::StopMode mode, const std::string& what) {
    CustomersCycle cycle;
    auto run = StartExpandBackfill(cycle);
    ASSERT_TRUE(cluster_->Restart(mode).ok());
    run->Kill(SIGCONT);
    TideRun r = run->Wait();
    ASSERT_EQ(r.exit_code, 0) << r.all();
    EXPECT_NE(r.err.find("connection to the server was lost"), std::string::npos) << r.all();
    EXPECT_NE(r.all().find("reconnected: V1.1 add email column continues at step 2 of 2"),
              std::string::npos)
        << r.all();
    FinishAndCompare(cycle, what);
  }
  void RestartDuringIndexBuild(pg::StopMode mode, const std::string& what) {
    CustomersCycle cycle;
    auto holder = pg::Connection::Open(url_, "report-job");
    ASSERT_TRUE(holder.ok());
    auto run = StartContractIndexBuild(cycle, *holder);
    ASSERT_TRUE(cluster_->Restart(mode).ok());
    TideRun r = run->Wait();
    ASSERT_EQ(r.exit_code, 0) << r.all();
    EXPECT_NE(r.all().find("reconnected: V1.2"), std::string::npos) << r.all();
    // The interrupted build left an INVALID index, which the resumed step dropped.
    EXPECT_NE(r.all().find("dropping the invalid index"), std::string::npos) << r.all();
    ExpectSameDatabase(TakeFingerprint(url_), CustomersReference().want, what);
  }

  static TempDir* dir_;
  static pg::LocalCluster* cluster_;
  std::string db_, url_;
};

TempDir* DbServerFaultTest::dir_ = nullptr;
pg::LocalCluster* DbServerFaultTest::cluster_ = nullptr;

TEST_F(DbServerFaultTest, FastRestartDuringBackfillReconnectsAndFinishes) {
  RestartDuringBackfill(pg::StopMode::kFast, "fast restart during backfill");
}

TEST_F(DbServerFaultTest, ImmediateRestartDuringBackfillReconnectsAndFinishes) {
  RestartDuringBackfill(pg::StopMode::kImmediate, "immediate restart during backfill");
}

TEST_F(DbServerFaultTest, FastRestartDuringIndexBuildReconnectsAndRebuilds) {
  RestartDuringIndexBuild(pg::StopMode::kFast, "fast restart during index build");
}

TEST_F(DbServerFaultTest, ImmediateRestartDuringIndexBuildReconnectsAndRebuilds) {
  RestartDuringIndexBuild(pg::StopMode::kImmediate, "immediate restart during index build");
}

TEST_F(DbServerFaultTest, TerminatedConnectionDuringBackfillReconnects) {
  CustomersCycle cycle;
  auto run = StartExpandBackfill(cycle);
  EXPECT_EQ(Value("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                  "application_name = 'tide' AND datname = current_database()"),
            "1");
  run->Kill(SIGCONT);
  TideRun r = run->Wait();
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.all().find("reconnected: V1.1"), std::string::npos) << r.all();
  FinishAndCompare(cycle, "terminated connection");
}

// A file that runs in one transaction writes no state row: when the connection is lost before
// its COMMIT, the history tells whether that transaction committed. A changed repeatable has
// a success row of its script from an earlier run, which must not pass for this run's.
TEST_F(DbServerFaultTest, ConnectionLostBeforeCommitOfOneTransactionFileRunsItAgain) {
  TempDir dir;
  dir.Write("sql/V1__t.sql", "CREATE TABLE t (id int PRIMARY KEY, n int NOT NULL DEFAULT 0);\n");
  dir.Write("sql/R__v.sql", "CREATE OR REPLACE VIEW v AS SELECT id FROM t;\n");
  std::vector<std::string> args = {"--url", url_, "--locations", (dir.path() / "sql").string(),
                                   "migrate"};
  TideRun first = RunTide(args, dir.path());
  ASSERT_EQ(first.exit_code, 0) << first.all();
  EXPECT_EQ(Value("SELECT count(*) FROM tide_migration_state"), "0");
  dir.Write("sql/R__v.sql", "CREATE OR REPLACE VIEW v AS SELECT id, n FROM t;\n");
  TideProcess run(args, dir.path(), {"TIDE_FAULT=group.before_commit:stop"});
  ASSERT_TRUE(run.WaitStopped()) << run.Output();
  EXPECT_EQ(Value("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                  "application_name = 'tide' AND datname = current_database()"),
            "1");
  run.Kill(SIGCONT);
  TideRun r = run.Wait();
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.all().find("continues at step 1 of 1"), std::string::npos) << r.all();
  EXPECT_EQ(Value("SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute "
                  "WHERE attrelid = 'v'::regclass"),
            "id,n");
  EXPECT_EQ(Value("SELECT count(*) FROM flyway_schema_history WHERE script = 'R__v.sql' "
                  "AND success"),
            "2");
  EXPECT_EQ(Value("SELECT count(*) FROM tide_migration_state"), "0");
}

TEST_F(DbServerFaultTest, WithReconnectOffALostConnectionStopsResumableAndSaysSo) {
  CustomersCycle cycle("reconnect_wait = \"0s\"\n");
  auto run = StartExpandBackfill(cycle);
  Value(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
      "'tide' AND datname = current_database()");
  run->Kill(SIGCONT);
  TideRun r = run->Wait();
  EXPECT_EQ(r.exit_code, 1) << r.all();
  EXPECT_NE(r.err.find("V1.1 add email column stopped at step 2 of 2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("reconnecting is off"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("run tide migrate again"), std::string::npos) << r.err;
  EXPECT_EQ(Value("SELECT status FROM tide_migration_state WHERE script LIKE 'V1.1%'"), "running");
  TideRun resumed = cycle.Migrate(url_, "1.1");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.all();
  EXPECT_NE(resumed.out.find("resuming"), std::string::npos) << resumed.out;
  FinishAndCompare(cycle, "reconnect off, rerun");
}

TEST_F(DbServerFaultTest, ServerDownLongerThanReconnectWaitStopsResumable) {
  CustomersCycle cycle("reconnect_wait = \"2s\"\n");
  auto run = StartExpandBackfill(cycle);
  ASSERT_TRUE(cluster_->Stop(pg::StopMode::kFast).ok());
  run->Kill(SIGCONT);
  TideRun r = run->Wait();
  EXPECT_EQ(r.exit_code, 1) << r.all();
  EXPECT_NE(r.err.find("could not be reached again within 2.0 s"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("run tide migrate again"), std::string::npos) << r.err;
  ASSERT_TRUE(cluster_->Start().ok());
  TideRun resumed = cycle.Migrate(url_, "1.1");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.all();
  EXPECT_NE(resumed.out.find("resuming"), std::string::npos) << resumed.out;
  FinishAndCompare(cycle, "server down, rerun");
}

// While tide reconnects, another session takes the migration lock: tide must not go on beside
// it. It stops, resumable, and says who to wait for.
TEST_F(DbServerFaultTest, RunLockTakenWhileReconnectingStopsTheRun) {
  // reconnect_wait also bounds how long tide waits for the lock to come back.
  CustomersCycle cycle("reconnect_wait = \"3s\"\n");
  auto run = StartExpandBackfill(cycle);
  std::string key = Value(
      "SELECT (classid::bigint << 32) | objid::bigint FROM pg_locks "
      "WHERE locktype = 'advisory' AND granted LIMIT 1");
  ASSERT_FALSE(key.empty());
  auto other = pg::Connection::Open(url_, "other-migrator");
  ASSERT_TRUE(other.ok());
  Value(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
      "'tide' AND datname = current_database()");
  ASSERT_TRUE(WaitFor(url_, "SELECT count(*) = 0 FROM pg_locks WHERE locktype = 'advisory'"));
  auto got = other->QueryValue("SELECT pg_try_advisory_lock($1::bigint)", {key});
  ASSERT_TRUE(got.ok() && **got == "t");
  run->Kill(SIGCONT);
  TideRun r = run->Wait();
  EXPECT_EQ(r.exit_code, 1) << r.all();
  EXPECT_NE(r.err.find("the migration lock was taken by another session"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("stopped at step 2 of 2"), std::string::npos) << r.err;
  ASSERT_TRUE(other->Exec("SELECT pg_advisory_unlock_all()").ok());
  TideRun resumed = cycle.Migrate(url_, "1.1");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.all();
  FinishAndCompare(cycle, "lock taken while reconnecting");
}

}  // namespace
}  // namespace tide::testing
