// Kill anywhere, declarative: the customers example as one YAML migration (email added with the
// seed's expression and kept in sync by a trigger, contact_info dropped, an index built) killed
// with SIGKILL at named fault points of its expand, its contract and its rollback. Plain reruns
// of the same command must end in exactly the database an uninterrupted cycle gives: same
// schema, same rows, same history, no trigger, function, views schema or INVALID index left.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>

#include "customers_cycle.h"
#include "db_compare.h"
#include "harness.h"

namespace tide::testing {
namespace {

namespace fs = std::filesystem;

enum class Phase { kExpand, kContract, kRollback };

struct Case {
  const char* name;
  Phase phase;
  const char* fault;  // TIDE_FAULT
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.fault; }

void Exec(const std::string& url, const std::string& sql) {
  auto conn = pg::Connection::Open(url, "tide-test");
  ASSERT_TRUE(conn.ok()) << conn.error().ToString();
  auto r = conn->Exec(sql);
  ASSERT_TRUE(r.ok()) << sql << ": " << r.error().ToString();
}

// The example's files with small batches, so the backfill spans many of them.
class Project {
 public:
  Project() {
    fs::copy(fs::path(TIDE_SOURCE_DIR) / "examples/customers-declarative/migrations",
             dir_.path() / "migrations");
    dir_.Write("tide.toml",
               "locations = [\"migrations\"]\n"
               "lock_timeout = \"200ms\"\n"
               "[backfill]\n"
               "small_table_rows = 100\n"
               "target_batch = \"20ms\"\n"
               "min_batch = 50\n"
               "max_batch = 100\n");
  }
  TideRun Run(const std::string& url, const Phase phase,
              const std::vector<std::string>& env = {}) const {
    std::vector<std::string> args = {"--url", url};
    switch (phase) {
      case Phase::kExpand:
        args.push_back("expand");
        break;
      case Phase::kContract:
        args.insert(args.end(), {"contract", "--skip-gate", "kill test"});
        break;
      case Phase::kRollback:
        args.push_back("rollback");
        break;
    }
    return RunTide(args, dir_.path(), env);
  }
  TideRun MigrateV1(const std::string& url) const {
    return RunTide({"--url", url, "migrate", "--target", "1"}, dir_.path());
  }

 private:
  TempDir dir_;
};

// Between expand and contract both releases write: the old one contact_info on the table, the
// new one email through its views. Explicit keys, as in CustomersCycle.
void BothReleasesWrite(const std::string& url) {
  Exec(url,
       "INSERT INTO customers (id, name, contact_info) SELECT 5000 + g, 'Old ' || g, 'old' || g "
       "FROM generate_series(1, 150) g;"
       "UPDATE customers SET contact_info = 'edited' WHERE id % 97 = 0");
  Exec(url + " options='-csearch_path=public_v2,public'",
       "INSERT INTO customers (id, name, email) SELECT 6000 + g, 'New ' || g, 'n' || g || "
       "'@example.com' FROM generate_series(1, 150) g;"
       "UPDATE customers SET email = 'moved' || id || '@example.com' WHERE id % 89 = 0");
}

struct Reference {
  std::string template_db;  // V1 and the seed rows
  Fingerprint cycle;        // expand, both releases write, contract
  Fingerprint rolled_back;  // expand, then rollback
};

const Reference& Ref() {
  static Reference* ref = [] {
    auto* r = new Reference;
    Project project;
    r->template_db = UniqueName("tide_decl_tpl");
    CreateDatabase(r->template_db);
    std::string url = DatabaseUrl(r->template_db);
    EXPECT_EQ(project.MigrateV1(url).exit_code, 0);
    Exec(url,
         "INSERT INTO customers (name, contact_info) SELECT 'Customer ' || g, 'c' || g FROM "
         "generate_series(1, 3000) g; ANALYZE customers");
    for (bool rollback : {false, true}) {
      std::string db = UniqueName("tide_decl_ref");
      CreateDatabase(db, r->template_db);
      std::string db_url = DatabaseUrl(db);
      TideRun run = project.Run(db_url, Phase::kExpand);
      EXPECT_EQ(run.exit_code, 0) << run.all();
      if (rollback) {
        run = project.Run(db_url, Phase::kRollback);
        EXPECT_EQ(run.exit_code, 0) << run.all();
        r->rolled_back = TakeFingerprint(db_url);
      } else {
        BothReleasesWrite(db_url);
        run = project.Run(db_url, Phase::kContract);
        EXPECT_EQ(run.exit_code, 0) << run.all();
        r->cycle = TakeFingerprint(db_url);
      }
      DropDatabase(db);
    }
    return r;
  }();
  return *ref;
}

class DbDeclarativeFaultTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    db_ = UniqueName("tide_decl_fault");
    CreateDatabase(db_, Ref().template_db);
    url_ = DatabaseUrl(db_);
  }
  void TearDown() override { DropDatabase(db_); }
  // Runs the phase, killed first at the case's fault point when it is this phase's turn, then
  // again to its end.
  void RunPhase(Phase phase) {
    const Case& c = GetParam();
    if (phase == c.phase) {
      TideRun killed = project_.Run(url_, phase, {std::string("TIDE_FAULT=") + c.fault});
      // Killed where it was meant to be: a point never reached would exit 0 here.
      EXPECT_EQ(killed.exit_code, -SIGKILL) << killed.all();
      EXPECT_NE(killed.err.find("fault injected at"), std::string::npos) << killed.all();
    }
    TideRun r = project_.Run(url_, phase);
    ASSERT_EQ(r.exit_code, 0) << r.all();
  }
  Project project_;
  std::string db_, url_;
};

TEST_P(DbDeclarativeFaultTest, RerunEndsWhereAnUninterruptedRunEnds) {
  const Case& c = GetParam();
  RunPhase(Phase::kExpand);
  if (c.phase == Phase::kRollback) {
    RunPhase(Phase::kRollback);
    ExpectSameDatabase(TakeFingerprint(url_), Ref().rolled_back, c.fault);
    return;
  }
  BothReleasesWrite(url_);
  RunPhase(Phase::kContract);
  ExpectSameDatabase(TakeFingerprint(url_), Ref().cycle, c.fault);
}

// The expand runs: the sync function; the email column, its trigger and a NOT VALID check in
// the transaction that locks customers; the views schema and views; the batched backfill (30
// batches of 100 rows); the concurrent index build; the history row. The contract: VALIDATE, the
// views and trigger dropped, SET NOT NULL, DROP COLUMN contact_info. The rollback: views,
// trigger, function and the email column dropped.
const Case kCases[] = {
    {"Expand_StateStarted", Phase::kExpand, "state.started"},
    {"Expand_AfterSyncFunction", Phase::kExpand, "group.after_commit"},
    {"Expand_ColumnAndTriggerBeforeCommit", Phase::kExpand, "group.before_commit:2"},
    {"Expand_AfterColumnAndTrigger", Phase::kExpand, "group.after_commit:2"},
    {"Expand_AfterViews", Phase::kExpand, "group.after_commit:3"},
    {"Expand_BackfillBeforeFirstBatch", Phase::kExpand, "backfill.before_first_batch"},
    {"Expand_BackfillAfterBatch9", Phase::kExpand, "backfill.after_batch_commit:9"},
    {"Expand_BackfillEnd", Phase::kExpand, "backfill.end"},
    {"Expand_IndexBeforeCreate", Phase::kExpand, "index.before_create"},
    {"Expand_IndexAfterCreate", Phase::kExpand, "index.after_create"},
    {"Expand_HistoryAfterAppend", Phase::kExpand, "history.after_append"},
    {"Expand_StateFinished", Phase::kExpand, "state.finished"},
    {"Contract_StateStarted", Phase::kContract, "state.started"},
    {"Contract_ValidateBefore", Phase::kContract, "validate.before"},
    {"Contract_ValidateAfter", Phase::kContract, "validate.after"},
    {"Contract_AfterFirstStep", Phase::kContract, "group.after_step"},
    {"Contract_BeforeCommit", Phase::kContract, "group.before_commit"},
    {"Contract_AfterCommit", Phase::kContract, "group.after_commit"},
    {"Contract_StateFinished", Phase::kContract, "state.finished"},
    {"Rollback_AfterFirstStep", Phase::kRollback, "group.after_step"},
    {"Rollback_AfterCommit", Phase::kRollback, "group.after_commit"},
    {"Rollback_StateFinished", Phase::kRollback, "state.finished"},
};

INSTANTIATE_TEST_SUITE_P(DbKill, DbDeclarativeFaultTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace tide::testing
