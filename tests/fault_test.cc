// Kill anywhere: the customers cycle, killed with SIGKILL at each named fault point
// (src/base/fault.h) or at random moments from outside, then finished by plain reruns of
// `tide migrate`, ends in exactly the database an uninterrupted run gives: same schema, same
// rows, same history rows (none missing, none twice), no INVALID index, no tide helper left.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "customers_cycle.h"
#include "db_compare.h"
#include "harness.h"

namespace tide::testing {
namespace {

enum class Special {
  kNone,
  kLockHolder,  // a prepared transaction holds customers, so tide's lock requests time out
};

struct FaultCase {
  const char* name;   // test name
  int phase;          // which tide run is killed: 0 V1, 2 V1.1, 4 V1.2
  const char* fault;  // TIDE_FAULT
  Special special = Special::kNone;
};

void PrintTo(const FaultCase& c, std::ostream* os) { *os << c.fault; }

// One database per test, cloned from the reference's template (it goes with the cluster).
class FaultDb {
 protected:
  void MakeDb(bool from_template) {
    const CustomersRef& ref = CustomersReference();
    db_ = UniqueName("tide_fault");
    CreateDatabase(db_, from_template ? ref.template_db : "");
    url_ = DatabaseUrl(db_);
  }
  void DropDb() {
    // A prepared transaction left by a failed test would keep the database from being dropped.
    auto conn = pg::Connection::Open(url_, "tide-test");
    if (conn.ok()) {
      auto gids = conn->Exec(
          "SELECT gid FROM pg_prepared_xacts WHERE database = "
          "current_database()");
      for (int i = 0; gids.ok() && i < gids->rows(); ++i) {
        (void)conn->Exec("ROLLBACK PREPARED '" + gids->Get(i, 0) + "'");
      }
    }
    DropDatabase(db_);
  }
  void Sql(const std::string& sql) {
    auto conn = pg::Connection::Open(url_, "tide-test");
    ASSERT_TRUE(conn.ok());
    auto r = conn->Exec(sql);
    ASSERT_TRUE(r.ok()) << sql << ": " << r.error().ToString();
  }
  std::string db_, url_;
};

class DbFaultTest : public ::testing::TestWithParam<FaultCase>, protected FaultDb {
 protected:
  // A case in V1 starts from nothing; the others from the seeded V1 database.
  void SetUp() override { MakeDb(GetParam().phase != 0); }
  void TearDown() override { DropDb(); }
  // Runs one phase of the cycle, killed at the case's fault point when it is this phase's turn.
  void RunPhase(const CustomersCycle& cycle, int phase, const std::string& target) {
    const FaultCase& c = GetParam();
    if (phase == c.phase) {
      std::string gid = db_ + "_holder";
      if (c.special == Special::kLockHolder) {
        Sql("BEGIN; LOCK TABLE customers IN ACCESS SHARE MODE; PREPARE TRANSACTION '" + gid + "'");
      }
      TideRun killed = cycle.Migrate(url_, target, {std::string("TIDE_FAULT=") + c.fault});
      // Killed where it was meant to be: a point never reached would exit 0 here.
      EXPECT_EQ(killed.exit_code, -SIGKILL) << killed.all();
      EXPECT_NE(killed.err.find("fault injected at"), std::string::npos) << killed.all();
      if (c.special == Special::kLockHolder) Sql("COMMIT PREPARED '" + gid + "'");
    }
    TideRun r = cycle.Migrate(url_, target);
    ASSERT_EQ(r.exit_code, 0) << r.all();
  }
};

TEST_P(DbFaultTest, RerunEndsWhereAnUninterruptedRunEnds) {
  const CustomersRef& ref = CustomersReference();
  CustomersCycle cycle;
  if (GetParam().phase == 0) {
    RunPhase(cycle, 0, "1");
    CustomersCycle::Seed(url_);
  }
  RunPhase(cycle, 2, "1.1");
  CustomersCycle::OldReleaseWrites(url_);
  RunPhase(cycle, 4, "latest");
  ExpectSameDatabase(TakeFingerprint(url_), ref.want, GetParam().fault);
}

// V1.1 runs 3 steps in 2 groups: ADD COLUMN (a transaction), the batched backfill (30 batches of
// 100 rows), then its history row in a transaction of its own. V1.2 runs: catch-up backfill,
// ADD CHECK NOT VALID, VALIDATE, SET NOT NULL + DROP CHECK, DROP COLUMN, CREATE INDEX
// CONCURRENTLY, then its history row.
const FaultCase kCases[] = {
    {"V1_RunLockAcquired", 0, "runlock.acquired"},
    {"V1_GroupBeforeCommit", 0, "group.before_commit"},
    {"V1_HistoryAfterAppend", 0, "history.after_append"},
    {"V11_StateStarted", 2, "state.started"},
    {"V11_GroupBegin", 2, "group.begin"},
    {"V11_AfterAddColumn", 2, "group.after_step"},
    {"V11_BeforeCommit", 2, "group.before_commit"},
    {"V11_AfterCommit", 2, "group.after_commit"},
    {"V11_LockTimeoutRetry", 2, "lock_retry.after_timeout", Special::kLockHolder},
    {"V11_BackfillBeforeFirstBatch", 2, "backfill.before_first_batch"},
    {"V11_BackfillAfterBound", 2, "backfill.after_bound"},
    {"V11_BackfillAfterFirstBatch", 2, "backfill.after_batch_commit"},
    {"V11_BackfillAfterBatch7", 2, "backfill.after_batch_commit:7"},
    {"V11_BackfillAfterBound20", 2, "backfill.after_bound:20"},
    {"V11_BackfillEnd", 2, "backfill.end"},
    {"V11_BackfillAdvanced", 2, "step.advanced"},
    {"V11_HistoryBeforeAppend", 2, "history.before_append"},
    {"V11_HistoryAfterAppend", 2, "history.after_append"},
    {"V11_StateFinished", 2, "state.finished"},
    {"V11_Applied", 2, "executor.applied"},
    {"V12_RunLockAcquired", 4, "runlock.acquired"},
    {"V12_CatchUpAfterBatch", 4, "backfill.after_batch_commit"},
    {"V12_CatchUpEnd", 4, "backfill.end"},
    {"V12_AfterAddCheckNotValid", 4, "group.after_commit"},
    {"V12_ValidateBefore", 4, "validate.before"},
    {"V12_ValidateAfter", 4, "validate.after"},
    {"V12_AfterSetNotNull", 4, "group.after_step:3"},
    {"V12_AfterDropColumn", 4, "group.after_step:5"},
    {"V12_AfterContractGroup", 4, "group.after_commit:3"},
    {"V12_LockTimeoutRetry", 4, "lock_retry.after_timeout", Special::kLockHolder},
    {"V12_IndexBeforeCreate", 4, "index.before_create"},
    {"V12_IndexAfterCreate", 4, "index.after_create"},
    {"V12_IndexAdvanced", 4, "step.advanced:2"},
    {"V12_HistoryAfterAppend", 4, "history.after_append"},
    {"V12_StateFinished", 4, "state.finished"},
};

INSTANTIATE_TEST_SUITE_P(DbKill, DbFaultTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<FaultCase>& info) {
                           return std::string(info.param.name);
                         });

class DbFaultIndexTest : public ::testing::Test, protected FaultDb {
 protected:
  void SetUp() override {
    MakeDb(true);
    TideRun r = cycle_.Migrate(url_, "1.1");
    ASSERT_EQ(r.exit_code, 0) << r.all();
    CustomersCycle::OldReleaseWrites(url_);
  }
  void TearDown() override { DropDb(); }

  // Starts V1.2 with a transaction holding an old snapshot open, so that its CREATE INDEX
  // CONCURRENTLY waits in its last phase; kills tide there. The server backend that runs the
  // build does not notice its client is gone while it waits: it is returned, still waiting.
  int KillDuringIndexBuild(pg::Connection& snapshot_holder) {
    EXPECT_TRUE(snapshot_holder.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1").ok());
    TideProcess run(cycle_.MigrateArgs(url_, "latest"), cycle_.dir());
    EXPECT_TRUE(WaitFor(url_,
                        "SELECT EXISTS (SELECT 1 FROM pg_stat_progress_create_index "
                        "WHERE phase = 'waiting for old snapshots')"))
        << run.Wait().all();
    run.Kill(SIGKILL);
    EXPECT_EQ(run.Wait().exit_code, -SIGKILL);
    auto conn = pg::Connection::Open(url_, "tide-test");
    auto pid = conn->QueryValue(
        "SELECT pid FROM pg_stat_activity WHERE datname = "
        "current_database() AND query LIKE 'CREATE INDEX CONCURRENTLY%'");
    EXPECT_TRUE(pid.ok() && pid->has_value());
    return pid.ok() && pid->has_value() ? std::stoi(**pid) : 0;
  }
  CustomersCycle cycle_;
};

// tide dies while the server builds the index; the build finishes without it. The rerun waits
// for the orphaned session's migration lock, then finds the index built and valid.
TEST_F(DbFaultIndexTest, KilledDuringConcurrentBuildThatThenFinishes) {
  auto holder = pg::Connection::Open(url_, "report-job");
  ASSERT_TRUE(holder.ok());
  ASSERT_NE(KillDuringIndexBuild(*holder), 0);
  ASSERT_TRUE(holder->Exec("COMMIT").ok());
  TideRun r = cycle_.Migrate(url_, "latest");
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("already built"), std::string::npos) << r.out;
  ExpectSameDatabase(TakeFingerprint(url_), CustomersReference().want,
                     "index build finished alone");
}

// tide dies during the build and the orphaned build is cancelled too (an operator's
// pg_terminate_backend): an INVALID index is left. The rerun drops it and is killed right
// after; the next rerun builds the index.
TEST_F(DbFaultIndexTest, KilledDuringConcurrentBuildThatIsCancelledLeavesNoInvalidIndex) {
  auto holder = pg::Connection::Open(url_, "report-job");
  ASSERT_TRUE(holder.ok());
  int orphan = KillDuringIndexBuild(*holder);
  ASSERT_NE(orphan, 0);
  Sql("SELECT pg_terminate_backend(" + std::to_string(orphan) + ")");
  ASSERT_TRUE(holder->Exec("COMMIT").ok());
  ASSERT_TRUE(WaitFor(
      url_, "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = " + std::to_string(orphan)));
  ASSERT_TRUE(WaitFor(url_,
                      "SELECT NOT indisvalid FROM pg_index WHERE indexrelid = "
                      "'idx_customers_email'::regclass"));
  TideRun killed = cycle_.Migrate(url_, "latest", {"TIDE_FAULT=index.leftover_dropped"});
  EXPECT_EQ(killed.exit_code, -SIGKILL) << killed.all();
  EXPECT_NE(killed.out.find("dropping the invalid index"), std::string::npos) << killed.all();
  TideRun r = cycle_.Migrate(url_, "latest");
  ASSERT_EQ(r.exit_code, 0) << r.all();
  ExpectSameDatabase(TakeFingerprint(url_), CustomersReference().want, "index build cancelled");
}

// Issue 23: killed in the contract after its catch-up and before VALIDATE; the old release
// inserts rows without email meanwhile. The rerun catches up again before it validates, and
// ends where an uninterrupted run over the same rows ends.
TEST(DbFaultResumeTest, ContractResumedAfterOldReleaseInsertsCatchesUpAgain) {
  const CustomersRef& ref = CustomersReference();
  CustomersCycle cycle;
  const std::string meanwhile =
      "INSERT INTO customers (id, name, contact_info) SELECT 5000 + g, 'Meanwhile ' || g, "
      "'m' || g FROM generate_series(1, 40) g";
  std::string killed_db = UniqueName("tide_resume_catch_up");
  std::string whole_db = UniqueName("tide_resume_catch_up");
  for (const std::string& db : {killed_db, whole_db}) {
    CreateDatabase(db, ref.template_db);
    ASSERT_EQ(cycle.Migrate(DatabaseUrl(db), "1.1").exit_code, 0);
    CustomersCycle::OldReleaseWrites(DatabaseUrl(db));
  }
  std::string url = DatabaseUrl(killed_db);
  // The first step.advanced of V1.2 is the catch-up's: killed before the check is added.
  TideRun killed = cycle.Migrate(url, "latest", {"TIDE_FAULT=step.advanced"});
  ASSERT_EQ(killed.exit_code, -SIGKILL) << killed.all();
  auto run_sql = [](const std::string& on, const std::string& sql) {
    auto conn = pg::Connection::Open(on, "tide-test");
    ASSERT_TRUE(conn.ok());
    auto st = conn->Run(sql);
    ASSERT_TRUE(st.ok()) << st.error().ToString();
  };
  run_sql(url, meanwhile);
  TideRun r = cycle.Migrate(url, "latest");
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("catch-up again"), std::string::npos) << r.out;
  std::string whole = DatabaseUrl(whole_db);
  run_sql(whole, meanwhile);
  ASSERT_EQ(cycle.Migrate(whole, "latest").exit_code, 0);
  ExpectSameDatabase(TakeFingerprint(url), TakeFingerprint(whole), "resumed contract");
  DropDatabase(killed_db);
  DropDatabase(whole_db);
}

// SIGKILL from outside at random moments of V1.1 and V1.2 (up to three kills per migration),
// then a rerun to completion. The seed is printed so that a failure can be replayed.
TEST(DbRandomKillTest, RandomKillsThenRerunEndWhereAnUninterruptedRunEnds) {
  const CustomersRef& ref = CustomersReference();
  // Slower batches widen the window a kill lands in.
  CustomersCycle cycle("", "pause = \"4ms\"\n");
  int kills = 0;
  for (unsigned seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    std::string db = UniqueName("tide_random_kill");
    CreateDatabase(db, ref.template_db);
    std::string url = DatabaseUrl(db);
    for (const char* target : {"1.1", "latest"}) {
      if (std::string(target) == "latest") CustomersCycle::OldReleaseWrites(url);
      for (int attempt = 0; attempt < 3; ++attempt) {
        TideProcess run(cycle.MigrateArgs(url, target), cycle.dir());
        std::this_thread::sleep_for(
            std::chrono::milliseconds(std::uniform_int_distribution<int>(5, 150)(rng)));
        if (!run.Running()) break;
        run.Kill(SIGKILL);
        EXPECT_EQ(run.Wait().exit_code, -SIGKILL);
        ++kills;
      }
      TideRun r = cycle.Migrate(url, target);
      ASSERT_EQ(r.exit_code, 0) << r.all();
    }
    ExpectSameDatabase(TakeFingerprint(url), ref.want, "seed " + std::to_string(seed));
    DropDatabase(db);
  }
  EXPECT_GE(kills, 4);  // many runs were killed part-way, not after they finished
}

}  // namespace
}  // namespace tide::testing
