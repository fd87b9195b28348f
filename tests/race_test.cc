// Races: two migrate runs at once, repair while a migration runs, the contract migration
// started while the expand still backfills. All take the same session-level run lock, so they
// are serialized (the second waits and says for whom) or refused; never interleaved.
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "customers_cycle.h"
#include "db_compare.h"
#include "harness.h"

namespace tide::testing {
namespace {

class DbRaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = UniqueName("tide_race");
    CreateDatabase(db_, CustomersReference().template_db);
    url_ = DatabaseUrl(db_);
  }
  void TearDown() override { DropDatabase(db_); }
  std::string Value(const std::string& sql) {
    auto conn = pg::Connection::Open(url_, "tide-test");
    auto v = conn->QueryValue(sql);
    return v.ok() ? v->value_or("") : "<" + v.error().ToString() + ">";
  }
  // V1.1 in the background, frozen (SIGSTOP) in the middle of its backfill, after the second
  // batch committed: it holds the migration lock for as long as the test needs.
  std::unique_ptr<TideProcess> StartBackfill(const CustomersCycle& cycle) {
    auto run = std::make_unique<TideProcess>(
        cycle.MigrateArgs(url_, "1.1"), cycle.dir(),
        std::vector<std::string>{"TIDE_FAULT=backfill.after_batch_commit:2:stop"});
    EXPECT_TRUE(run->WaitStopped()) << run->Output();
    return run;
  }
  // Starts args beside the frozen run, waits until it says it waits for the lock, lets the
  // frozen run go on; returns both outputs.
  std::pair<TideRun, TideRun> Beside(TideProcess& frozen, const std::vector<std::string>& args,
                                     const CustomersCycle& cycle) {
    TideProcess second(args, cycle.dir());
    EXPECT_TRUE(second.WaitOutput("waiting for the migration lock held by pid")) << second.Output();
    EXPECT_TRUE(second.Running());
    frozen.Kill(SIGCONT);
    TideRun first = frozen.Wait();
    return {first, second.Wait()};
  }
  std::string db_, url_;
};

TEST_F(DbRaceTest, TwoMigrateRunsDuringABackfillSerialize) {
  CustomersCycle cycle;
  auto first = StartBackfill(cycle);
  auto [a, second] = Beside(*first, cycle.MigrateArgs(url_, "1.1"), cycle);
  ASSERT_EQ(a.exit_code, 0) << a.all();
  ASSERT_EQ(second.exit_code, 0) << second.all();
  EXPECT_NE(second.all().find("waiting for the migration lock held by pid"), std::string::npos)
      << second.all();
  EXPECT_NE(second.all().find("up to date"), std::string::npos) << second.all();
  EXPECT_EQ(second.all().find("Migrating"), std::string::npos) << second.all();
  EXPECT_EQ(Value("SELECT count(*) FROM flyway_schema_history WHERE version = '1.1'"), "1");
  CustomersCycle::OldReleaseWrites(url_);
  TideRun r = cycle.Migrate(url_, "latest");
  ASSERT_EQ(r.exit_code, 0) << r.all();
  ExpectSameDatabase(TakeFingerprint(url_), CustomersReference().want, "two runs at once");
}

TEST_F(DbRaceTest, RepairWhileAMigrationRunsWaitsForIt) {
  CustomersCycle cycle;
  auto migrate = StartBackfill(cycle);
  auto [m, repair] = Beside(*migrate, {"--url", url_, "repair"}, cycle);
  ASSERT_EQ(m.exit_code, 0) << m.all();
  ASSERT_EQ(repair.exit_code, 0) << repair.all();
  EXPECT_NE(repair.all().find("waiting for the migration lock"), std::string::npos) << repair.all();
  EXPECT_NE(repair.all().find("0 failed rows removed, 0 realigned, 0 marked deleted"),
            std::string::npos)
      << repair.all();
  CustomersCycle::OldReleaseWrites(url_);
  TideRun r = cycle.Migrate(url_, "latest");
  ASSERT_EQ(r.exit_code, 0) << r.all();
  ExpectSameDatabase(TakeFingerprint(url_), CustomersReference().want, "repair during migrate");
}

TEST_F(DbRaceTest, RepairRefusesWhenTheMigrationOutlastsItsWait) {
  CustomersCycle cycle;
  auto migrate = StartBackfill(cycle);
  TideRun repair =
      RunTide({"--url", url_, "repair"}, cycle.dir(), {"TIDE_MIGRATION_LOCK_WAIT=200ms"});
  migrate->Kill(SIGCONT);
  EXPECT_EQ(repair.exit_code, 1) << repair.all();
  EXPECT_NE(repair.err.find("another migration held the migration lock"), std::string::npos)
      << repair.err;
  EXPECT_NE(repair.err.find("nothing was changed by this run"), std::string::npos) << repair.err;
  TideRun m = migrate->Wait();
  ASSERT_EQ(m.exit_code, 0) << m.all();
  EXPECT_EQ(Value("SELECT count(*) FROM flyway_schema_history WHERE version = '1.1' AND "
                  "success"),
            "1");
}

// The contract migration asked for while the expand still backfills: it waits for the expand to
// finish and commit, then runs on the finished expand (its catch-up finds nothing to do).
TEST_F(DbRaceTest, ContractStartedDuringTheExpandBackfillRunsAfterIt) {
  CustomersCycle cycle;
  auto expand = StartBackfill(cycle);
  auto [e, contract] = Beside(*expand, cycle.MigrateArgs(url_, "1.2"), cycle);
  ASSERT_EQ(e.exit_code, 0) << e.all();
  ASSERT_EQ(contract.exit_code, 0) << contract.all();
  EXPECT_NE(contract.all().find("waiting for the migration lock"), std::string::npos)
      << contract.all();
  EXPECT_EQ(contract.all().find("Migrating V1.1"), std::string::npos) << contract.all();
  EXPECT_NE(contract.all().find("Migrating V1.2"), std::string::npos) << contract.all();
  EXPECT_EQ(Value("SELECT string_agg(version || ':' || success, ',' ORDER BY installed_rank) "
                  "FROM flyway_schema_history"),
            "1:true,1.1:true,1.2:true");
  EXPECT_EQ(Value("SELECT (SELECT installed_on FROM flyway_schema_history WHERE version = '1.1') "
                  "<= (SELECT installed_on FROM flyway_schema_history WHERE version = '1.2')"),
            "t");
  EXPECT_EQ(Value("SELECT count(*) FROM customers WHERE email IS NULL"), "0");
  EXPECT_EQ(TakeFingerprint(url_).leftovers, "");
}

}  // namespace
}  // namespace tide::testing
