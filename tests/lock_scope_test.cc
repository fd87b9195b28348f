// Whom tide waits for before taking a lock. Two mistakes it once made: it counted a lock held in
// another database (pg_locks shows the whole cluster, and databases made from one template share
// table OIDs), and it waited outside the lock queue behind an ordinary autovacuum, which
// PostgreSQL cancels only for a queued request, so a migration failed after its budget where a
// plain ALTER succeeds in a second.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <thread>

#include "harness.h"

namespace tide::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Three databases on the shared cluster: a template with table t, and a and b made from it.
class DbLockScopeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = "scope" + std::to_string(getpid());
    auto admin = pg::Connection::Open(SharedCluster().SocketUrl());
    ASSERT_TRUE(admin.ok()) << admin.error().ToString();
    ASSERT_TRUE(admin->Run("CREATE DATABASE " + base_ + "_tmpl").ok());
    {
      auto tmpl = pg::Connection::Open(SharedCluster().SocketUrl(base_ + "_tmpl"));
      ASSERT_TRUE(tmpl.ok());
      ASSERT_TRUE(tmpl->Run("CREATE TABLE t (id int PRIMARY KEY, v text)").ok());
    }
    for (const char* db : {"_a", "_b"}) {
      auto made = admin->Run("CREATE DATABASE " + base_ + db + " TEMPLATE " + base_ + "_tmpl");
      ASSERT_TRUE(made.ok()) << made.error().ToString();
    }
  }
  void TearDown() override {
    auto admin = pg::Connection::Open(SharedCluster().SocketUrl());
    if (!admin.ok()) return;
    for (const char* db : {"_a", "_b", "_tmpl"}) {
      (void)admin->Run("DROP DATABASE IF EXISTS " + base_ + db + " WITH (FORCE)");
    }
  }
  std::string Url(const char* db) const { return SharedCluster().SocketUrl(base_ + db); }
  TideRun Migrate(const char* db, const std::string& lock_wait) {
    return RunTide({"--url", Url(db), "--lock-wait", lock_wait, "migrate"}, dir_.path());
  }

  std::string base_;
  TempDir dir_;
};

TEST_F(DbLockScopeTest, ALockOnTheSameOidInAnotherDatabaseIsNotABlocker) {
  auto a = pg::Connection::Open(Url("_a"));
  auto b = pg::Connection::Open(Url("_b"));
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->QueryValue("SELECT 't'::regclass::oid")->value_or("a"),
            b->QueryValue("SELECT 't'::regclass::oid")->value_or("b"))
      << "the test needs one OID in both databases";
  // A long transaction in a holds a lock on its t.
  ASSERT_TRUE(a->Run("BEGIN").ok());
  ASSERT_TRUE(a->Run("LOCK TABLE t IN ACCESS SHARE MODE").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  dir_.Write("migrations/V1__note.sql", "ALTER TABLE t ADD COLUMN note text;\n");
  auto start = Clock::now();
  TideRun run = Migrate("_b", "6s");
  EXPECT_EQ(run.exit_code, 0) << run.all();
  EXPECT_LT(SecondsSince(start), 4.0) << run.all();
  EXPECT_EQ(run.all().find("waiting, not queueing"), std::string::npos) << run.all();
  ASSERT_TRUE(a->Run("ROLLBACK").ok());

  // A real blocker in b is still waited for, named, and ends the step after its budget.
  auto b_holder = pg::Connection::Open(Url("_b"));
  ASSERT_TRUE(b_holder.ok());
  auto pid = b_holder->QueryValue("SELECT pg_backend_pid()");
  ASSERT_TRUE(b_holder->Run("BEGIN").ok());
  ASSERT_TRUE(b_holder->Run("LOCK TABLE t IN ACCESS SHARE MODE").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  dir_.Write("migrations/V2__other.sql", "ALTER TABLE t ADD COLUMN other text;\n");
  TideRun blocked = Migrate("_b", "2s");
  EXPECT_EQ(blocked.exit_code, 1) << blocked.all();
  EXPECT_NE(blocked.all().find("waiting, not queueing: pid " + pid->value_or("?")),
            std::string::npos)
      << blocked.all();
  (void)b_holder->Run("ROLLBACK");
}

// A cluster of its own: autovacuum every second, and a table whose vacuum is slowed to a crawl.
class DbAutovacuumTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // As root the server runs as 'postgres', which must reach the folder.
    fs::permissions(dir_.path(), fs::perms::others_exec | fs::perms::group_exec,
                    fs::perm_options::add);
    pg::ClusterOptions options;
    options.dir = dir_.path() / "cluster";
    options.settings = {"autovacuum_naptime = 1s", "log_autovacuum_min_duration = 0",
                        "deadlock_timeout = 1s"};
    auto cluster = pg::LocalCluster::Create(options);
    ASSERT_TRUE(cluster.ok()) << cluster.error().ToString();
    cluster_.emplace(std::move(cluster).value());
  }
  void TearDown() override {
    if (cluster_) (void)cluster_->Destroy();
  }
  // Makes autovacuum start on table big and returns once a worker has held its lock for more
  // than a second (longer than tide's lock_timeout: a "long transaction" to the old check).
  // wraparound: the table's autovacuum is off and its freeze age at the minimum, then that many
  // transactions are burnt, so the vacuum that starts is an anti-wraparound one (those run even
  // on a table with autovacuum off).
  bool StartSlowAutovacuum(pg::Connection& conn, bool wraparound) {
    std::string options = wraparound ? "autovacuum_enabled = false, "
                                       "autovacuum_freeze_max_age = 100000, "
                                     : "";
    bool made =
        conn.Run("CREATE TABLE big (id int PRIMARY KEY, v text) WITH (" + options +
                 "autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0, "
                 "autovacuum_analyze_threshold = 2000000000, "
                 "autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1)")
            .ok() &&
        conn.Run("INSERT INTO big SELECT g, 'row ' || g FROM generate_series(1, 100000) g").ok() &&
        conn.Run("DELETE FROM big WHERE id % 2 = 0").ok();
    if (wraparound) {
      made = made && conn.Run(
                             "DO $$ BEGIN FOR i IN 1..101000 LOOP "
                             "PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$")
                         .ok();
    }
    if (!made) return false;
    return WaitFor(cluster_->SocketUrl(),
                   std::string("SELECT count(*) > 0 FROM pg_stat_activity WHERE backend_type = "
                               "'autovacuum worker' AND query LIKE '%big%") +
                       (wraparound ? "(to prevent wraparound)%" : "") +
                       "' AND now() - xact_start > interval '1 second'",
                   std::chrono::seconds(60));
  }
  TempDir dir_;
  std::optional<pg::LocalCluster> cluster_;
};

TEST_F(DbAutovacuumTest, AnOrdinaryAutovacuumYieldsToTidesQueuedLock) {
  auto conn = pg::Connection::Open(cluster_->SocketUrl());
  ASSERT_TRUE(conn.ok());
  if (!StartSlowAutovacuum(*conn, false)) {
    GTEST_SKIP() << "autovacuum never started on the table within 60 s; cannot test";
  }
  dir_.Write("migrations/V1__note.sql", "ALTER TABLE big ADD COLUMN note text;\n");
  auto start = Clock::now();
  TideRun run =
      RunTide({"--url", cluster_->SocketUrl(), "--lock-wait", "30s", "migrate"}, dir_.path());
  EXPECT_EQ(run.exit_code, 0) << run.all();
  EXPECT_LT(SecondsSince(start), 15.0) << run.all();
  EXPECT_NE(run.all().find("ordinary autovacuum"), std::string::npos) << run.all();
  EXPECT_EQ(conn->QueryValue("SELECT count(*) FROM information_schema.columns "
                             "WHERE table_name = 'big' AND column_name = 'note'")
                ->value_or(""),
            "1");
}

// An anti-wraparound autovacuum is never cancelled by PostgreSQL: tide waits for it outside
// the queue (the application keeps working) and says why.
TEST_F(DbAutovacuumTest, AnAntiWraparoundAutovacuumIsWaitedForAndNamed) {
  auto conn = pg::Connection::Open(cluster_->SocketUrl());
  ASSERT_TRUE(conn.ok());
  if (!StartSlowAutovacuum(*conn, true)) {
    GTEST_SKIP() << "no anti-wraparound autovacuum on the table within 60 s; cannot test";
  }
  dir_.Write("migrations/V1__note.sql", "ALTER TABLE big ADD COLUMN note text;\n");
  TideRun run =
      RunTide({"--url", cluster_->SocketUrl(), "--lock-wait", "3s", "migrate"}, dir_.path());
  EXPECT_EQ(run.exit_code, 1) << run.all();
  EXPECT_NE(run.all().find("anti-wraparound"), std::string::npos) << run.all();
}

}  // namespace
}  // namespace tide::testing
