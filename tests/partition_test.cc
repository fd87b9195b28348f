// Partitioned tables (issue 18) on a real cluster: CREATE INDEX on the parent, ATTACH and
// DETACH PARTITION each run in their safe form and end exactly where the same files run plainly
// (as Flyway runs them) end: same schema, every index name included, same rows, nothing left
// behind; an interrupted run resumes and finishes with no invalid index.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "customers_cycle.h"
#include "db_compare.h"
#include "harness.h"

namespace tide::testing {
namespace {

// Four monthly partitions, a sub-partitioned one, a default; a table whose name a plain CREATE
// INDEX finds taken (so PostgreSQL names that partition's index ..._idx1).
const char* kCreate =
    "CREATE TABLE events (id bigint NOT NULL, ts date NOT NULL, v int NOT NULL, w text)\n"
    "  PARTITION BY RANGE (ts);\n"
    "CREATE TABLE events_2024_01 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO "
    "('2024-02-01');\n"
    "CREATE TABLE events_2024_02 PARTITION OF events FOR VALUES FROM ('2024-02-01') TO "
    "('2024-03-01');\n"
    "CREATE TABLE events_2024_03 PARTITION OF events FOR VALUES FROM ('2024-03-01') TO "
    "('2024-04-01');\n"
    "CREATE TABLE events_2024_04 PARTITION OF events FOR VALUES FROM ('2024-04-01') TO "
    "('2024-05-01');\n"
    "CREATE TABLE events_q3 PARTITION OF events FOR VALUES FROM ('2024-07-01') TO "
    "('2024-10-01') PARTITION BY LIST (v);\n"
    "CREATE TABLE events_q3_small PARTITION OF events_q3 FOR VALUES IN (0, 1, 2, 3, 4);\n"
    "CREATE TABLE events_q3_rest PARTITION OF events_q3 FOR VALUES IN (5, 6, 7, 8, 9);\n"
    "CREATE TABLE events_default PARTITION OF events DEFAULT;\n"
    "CREATE TABLE events_2024_02_v_w_idx (x int);\n"
    "CREATE TABLE events_2024_05 (id bigint NOT NULL, ts date NOT NULL, v int NOT NULL, w text);\n"
    "CREATE TABLE owners (id bigint PRIMARY KEY);\n"
    "CREATE TABLE kinds (v int PRIMARY KEY);\n"
    "CREATE TABLE accounts (id bigint PRIMARY KEY, name text);\n";

// January to April, the third quarter, and October-November in the default partition.
const char* kSeed =
    "INSERT INTO events SELECT g, DATE '2024-01-01' + (g % 121), g % 10, 'w' || g "
    "FROM generate_series(1, 4000) g;\n"
    "INSERT INTO events SELECT 5000 + g, DATE '2024-07-01' + (g % 92), g % 10, 'q' || g "
    "FROM generate_series(1, 1500) g;\n"
    "INSERT INTO events SELECT 7000 + g, DATE '2024-10-01' + (g % 60), g % 10, 'd' || g "
    "FROM generate_series(1, 500) g;\n"
    "INSERT INTO events_2024_05 SELECT 10000 + g, DATE '2024-05-01' + (g % 31), g % 10, 'n' || g "
    "FROM generate_series(1, 2000) g;\n"
    "INSERT INTO owners SELECT g FROM generate_series(1, 10) g;\n"
    "INSERT INTO kinds SELECT g FROM generate_series(0, 9) g;\n"
    "INSERT INTO accounts SELECT g, 'a' || g FROM generate_series(1, 3000) g;\n"
    "ANALYZE;\n";

const char* kIndexes =
    "CREATE INDEX ON events (v) INCLUDE (w);\n"
    "CREATE UNIQUE INDEX events_id_ts_v ON events (id, ts, v);\n"
    "CREATE INDEX events_lower_w ON events (lower(w)) WHERE v > 0;\n";

class DbPartitionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("tide.toml",
               "locations = [\"migrations\"]\n"
               "lock_timeout = \"200ms\"\n"
               "lock_wait = \"3s\"\n"
               "[backfill]\n"
               "small_table_rows = 100\n");
    dir_.Write("migrations/V1__create.sql", kCreate);
    for (std::string* db : {&safe_, &plain_}) {
      *db = UniqueName("tide_partition");
      CreateDatabase(*db);
    }
  }
  void TearDown() override {
    DropDatabase(safe_);
    DropDatabase(plain_);
  }
  TideRun Tide(const std::string& db, std::vector<std::string> args,
               const std::vector<std::string>& env = {}) {
    args.insert(args.begin(), {"--url", DatabaseUrl(db)});
    return RunTide(args, dir_.path(), env);
  }
  void Run(const std::string& db, const std::string& sql) {
    auto conn = pg::Connection::Open(DatabaseUrl(db), "tide-test");
    ASSERT_TRUE(conn.ok());
    auto r = conn->Exec(sql);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
  }
  // V1 and the rows on both databases; then `file` as V2: plainly on one, with tide on the other.
  void Prepare(const std::string& file) {
    dir_.Write("migrations/V2__change.sql", file);
    for (const std::string& db : {safe_, plain_}) {
      TideRun r = Tide(db, {"migrate", "--target", "1"});
      ASSERT_EQ(r.exit_code, 0) << r.all();
      Run(db, kSeed);
    }
    TideRun plain = Tide(plain_, {"migrate", "--plain"});
    ASSERT_EQ(plain.exit_code, 0) << plain.all();
  }
  void ExpectSameAsPlain(const std::string& what) {
    // (The plain run keeps no state row of its own: the state is not compared.)
    Fingerprint safe = TakeFingerprint(DatabaseUrl(safe_));
    Fingerprint plain = TakeFingerprint(DatabaseUrl(plain_));
    EXPECT_EQ(safe.schema, plain.schema) << what;
    EXPECT_EQ(safe.rows, plain.rows) << what;
    EXPECT_EQ(safe.history, plain.history) << what;
    EXPECT_EQ(safe.leftovers, "") << what;
  }
  // tide --json plan of what is pending: every step's SQL and every note, one per line.
  std::string PlanText(const std::string& db) {
    TideRun r = Tide(db, {"--json", "plan"});
    EXPECT_EQ(r.exit_code, 0) << r.all();
    auto doc = nlohmann::json::parse(r.out, nullptr, false);
    std::string out;
    if (doc.is_discarded() || !doc.contains("migrations")) return r.all();
    for (const auto& m : doc["migrations"]) {
      for (const auto& s : m["steps"]) out += s["sql"].get<std::string>() + "\n";
      for (const auto& n : m["notes"]) out += n["text"].get<std::string>() + "\n";
    }
    return out;
  }
  std::string Value(const std::string& db, const std::string& sql) {
    auto conn = pg::Connection::Open(DatabaseUrl(db), "tide-test");
    EXPECT_TRUE(conn.ok());
    auto v = conn->QueryValue(sql);
    EXPECT_TRUE(v.ok());
    return v.ok() && v->has_value() ? **v : "";
  }
  TempDir dir_;
  std::string safe_, plain_;
};

TEST_F(DbPartitionTest, IndexesOnAPartitionedTableAreBuiltPartitionByPartition) {
  ASSERT_NO_FATAL_FAILURE(Prepare(kIndexes));
  std::string planned = PlanText(safe_);
  EXPECT_NE(planned.find("CREATE INDEX \"events_v_w_idx\" ON ONLY"), std::string::npos)
      << planned;
  EXPECT_NE(planned.find("CREATE INDEX CONCURRENTLY \"events_2024_02_v_w_idx1\""),
            std::string::npos)
      << planned;
  // The writes of an application go on meanwhile, and none fails.
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, writes{0};
  std::thread writer([&] {
    auto conn = pg::Connection::Open(DatabaseUrl(safe_), "app/1.0");
    if (!conn.ok()) {
      ++failures;
      return;
    }
    for (int i = 0; !stop; ++i) {
      // One row, in the partition its date prunes to, as an application writes.
      Status st = conn->Run(
          "UPDATE events SET w = w WHERE id = $1::bigint AND ts = DATE '2024-01-01' + "
          "($1::int % 121)",
          {std::to_string(1 + i % 4000)});
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      if (!st.ok()) ++failures;
      ++writes;
    }
  });
  TideRun r = Tide(safe_, {"migrate"});
  stop = true;
  writer.join();
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(writes.load(), 0);
  EXPECT_NE(r.out.find("CREATE INDEX CONCURRENTLY"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ATTACH PARTITION"), std::string::npos) << r.out;
  ExpectSameAsPlain("indexes on a partitioned table");
  EXPECT_EQ(Value(safe_, "SELECT count(*) FROM pg_index WHERE NOT indisvalid"), "0");
  EXPECT_EQ(Value(safe_, "SELECT count(*) FROM pg_inherits WHERE inhparent = "
                         "'events_v_w_idx'::regclass"),
            "6");
}

// Killed after the second partition's index is built (before tide recorded it); meanwhile a
// build of the third partition's index was cancelled and left it INVALID. The rerun takes the
// second as done, drops and rebuilds the third, and ends where a plain run ends.
TEST_F(DbPartitionTest, KilledMidWayResumesWithNoInvalidIndexLeft) {
  ASSERT_NO_FATAL_FAILURE(Prepare(kIndexes));
  TideRun killed = Tide(safe_, {"migrate"}, {"TIDE_FAULT=index.after_create:2"});
  ASSERT_EQ(killed.exit_code, -SIGKILL) << killed.all();
  EXPECT_EQ(Value(safe_, "SELECT indisvalid::text FROM pg_index WHERE indexrelid = "
                         "to_regclass('events_v_w_idx')"),
            "false");
  // An interrupted concurrent build leaves an INVALID index of the name tide will build.
  auto conn = pg::Connection::Open(DatabaseUrl(safe_), "tide-test");
  ASSERT_TRUE(conn.ok());
  EXPECT_FALSE(
      conn->Run("CREATE UNIQUE INDEX CONCURRENTLY events_2024_03_v_w_idx ON events_2024_03 (v)")
          .ok());
  EXPECT_EQ(Value(safe_, "SELECT indisvalid::text FROM pg_index WHERE indexrelid = "
                         "to_regclass('events_2024_03_v_w_idx')"),
            "false");
  TideRun r = Tide(safe_, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("already built"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dropping the invalid index"), std::string::npos) << r.out;
  ExpectSameAsPlain("resumed per-partition index build");
}

TEST_F(DbPartitionTest, AttachSkipsItsScanThroughAValidatedCheck) {
  ASSERT_NO_FATAL_FAILURE(Prepare(
      "ALTER TABLE events ATTACH PARTITION events_2024_05 FOR VALUES FROM ('2024-05-01') TO "
      "('2024-06-01');\n"));
  std::string planned = PlanText(safe_);
  EXPECT_NE(planned.find("NOT VALID"), std::string::npos) << planned;
  // The default partition holds rows: its scan is named.
  EXPECT_NE(planned.find("default partition public.events_default"), std::string::npos)
      << planned;
  TideRun r = Tide(safe_, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("VALIDATE CONSTRAINT"), std::string::npos) << r.out;
  ExpectSameAsPlain("attach through a check");
}

TEST_F(DbPartitionTest, AttachOfRowsOutsideTheBoundFailsAsAPlainRunDoes) {
  ASSERT_NO_FATAL_FAILURE(Prepare("SELECT 1;\n"));
  dir_.Write("migrations/V3__attach.sql",
             "ALTER TABLE events ATTACH PARTITION events_2024_05 FOR VALUES FROM ('2024-05-01') "
             "TO ('2024-05-15');\n");
  TideRun plain = Tide(plain_, {"migrate", "--plain"});
  EXPECT_NE(plain.exit_code, 0);
  TideRun r = Tide(safe_, {"migrate"});
  EXPECT_NE(r.exit_code, 0) << r.all();
  EXPECT_NE(r.all().find("outside the partition bound"), std::string::npos) << r.all();
  // Stopped at its VALIDATE: nothing attached; tide repair gives the run up and drops tide's
  // check, leaving what a failed plain run leaves.
  EXPECT_EQ(Value(safe_, "SELECT count(*) FROM pg_inherits WHERE inhrelid = "
                         "'events_2024_05'::regclass"),
            "0");
  TideRun repaired = Tide(safe_, {"repair"});
  ASSERT_EQ(repaired.exit_code, 0) << repaired.all();
  EXPECT_EQ(TakeFingerprint(DatabaseUrl(safe_)).leftovers, "");
  EXPECT_EQ(SchemaDump(DatabaseUrl(safe_)), SchemaDump(DatabaseUrl(plain_)));
}

TEST_F(DbPartitionTest, DetachRunsConcurrentlyAndFinalizesAfterAnInterruption) {
  // events has a default partition (no concurrent detach there); events_q3 has none.
  ASSERT_NO_FATAL_FAILURE(Prepare(
      "ALTER TABLE events_q3 DETACH PARTITION events_q3_rest;\n"
      "ALTER TABLE events DETACH PARTITION events_2024_01;\n"));
  std::string planned = PlanText(safe_);
  EXPECT_NE(planned.find("DETACH PARTITION \"events_q3_rest\" CONCURRENTLY"), std::string::npos)
      << planned;
  EXPECT_NE(planned.find("has a default partition"), std::string::npos) << planned;
  // A reader of events_q3 (which locks events too) makes the detach's second transaction wait
  // past lock_wait: the partition is left detach pending and the run stops.
  auto reader = pg::Connection::Open(DatabaseUrl(safe_), "report-job");
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE(
      reader->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM events_q3").ok());
  TideRun stopped = Tide(safe_, {"migrate"});
  EXPECT_EQ(stopped.exit_code, 1) << stopped.all();
  EXPECT_EQ(Value(safe_, "SELECT inhdetachpending::text FROM pg_inherits WHERE inhrelid = "
                         "'events_q3_rest'::regclass"),
            "true");
  ASSERT_TRUE(reader->Exec("COMMIT").ok());
  TideRun r = Tide(safe_, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("FINALIZE"), std::string::npos) << r.out;
  ExpectSameAsPlain("detach concurrently, finalized:\n" + stopped.all() + r.all());
}

// Killed right after the concurrent detach finished, before tide recorded it: the rerun finds
// the partition detached, drops the CHECK the detach left on it, and ends as a plain run.
TEST_F(DbPartitionTest, DetachKilledAfterItFinishedIsTakenAsDone) {
  ASSERT_NO_FATAL_FAILURE(Prepare("ALTER TABLE events_q3 DETACH PARTITION events_q3_rest;\n"));
  TideRun killed = Tide(safe_, {"migrate"}, {"TIDE_FAULT=detach.after"});
  ASSERT_EQ(killed.exit_code, -SIGKILL) << killed.all();
  EXPECT_EQ(Value(safe_, "SELECT count(*) FROM pg_constraint WHERE conrelid = "
                         "'events_q3_rest'::regclass AND contype = 'c'"),
            "1");
  TideRun r = Tide(safe_, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("detached already"), std::string::npos) << r.out;
  ExpectSameAsPlain("detach killed after it finished");
}

// ADD UNIQUE on a partitioned table: each leaf partition's index concurrently, its constraint
// USING INDEX, the sub-partitioned level's constraint, then the statement, which adopts them.
TEST_F(DbPartitionTest, UniqueConstraintIsBuiltPartitionByPartition) {
  ASSERT_NO_FATAL_FAILURE(Prepare("ALTER TABLE events ADD UNIQUE (id, ts, v);\n"));
  std::string planned = PlanText(safe_);
  EXPECT_NE(planned.find("CREATE UNIQUE INDEX CONCURRENTLY \"events_2024_01_id_ts_v_key\""),
            std::string::npos)
      << planned;
  EXPECT_NE(planned.find("ADD CONSTRAINT \"events_q3_id_ts_v_key\" UNIQUE"), std::string::npos)
      << planned;
  TideRun r = Tide(safe_, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  ExpectSameAsPlain("unique constraint partition by partition");
  EXPECT_EQ(Value(safe_, "SELECT count(*) FROM pg_constraint WHERE conparentid = (SELECT oid FROM "
                         "pg_constraint WHERE conname = 'events_id_ts_v_key')"),
            "6");
}

// ADD FOREIGN KEY on a partitioned table, where PostgreSQL refuses NOT VALID: each partition's
// key NOT VALID and validated, then the statement (named as PostgreSQL names it) adopts them.
TEST_F(DbPartitionTest, ForeignKeyIsValidatedPartitionByPartition) {
  ASSERT_NO_FATAL_FAILURE(
      Prepare("ALTER TABLE events ADD FOREIGN KEY (v) REFERENCES kinds (v) ON DELETE CASCADE;\n"));
  std::string planned = PlanText(safe_);
  EXPECT_NE(planned.find("ALTER TABLE public.events_2024_01 ADD CONSTRAINT \"events_v_fkey\" "
                         "FOREIGN KEY (v) REFERENCES kinds (v) ON DELETE CASCADE NOT VALID"),
            std::string::npos)
      << planned;
  TideRun r = Tide(safe_, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  ExpectSameAsPlain("foreign key partition by partition");
}

// ADD PRIMARY KEY likewise, after its nullable column is made NOT NULL through a validated check.
TEST_F(DbPartitionTest, PrimaryKeyIsBuiltPartitionByPartition) {
  ASSERT_NO_FATAL_FAILURE(Prepare("ALTER TABLE events ADD PRIMARY KEY (id, ts, v, w);\n"));
  std::string planned = PlanText(safe_);
  EXPECT_NE(planned.find("CHECK (\"w\" IS NOT NULL) NOT VALID"), std::string::npos) << planned;
  EXPECT_NE(planned.find("ADD CONSTRAINT \"events_2024_01_pkey\" PRIMARY KEY USING INDEX"),
            std::string::npos)
      << planned;
  TideRun r = Tide(safe_, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  ExpectSameAsPlain("primary key partition by partition");
}

// Constraints written inside ADD COLUMN get their stand-alone safe forms, and the names
// PostgreSQL gives the inline ones.
TEST_F(DbPartitionTest, InlineConstraintsOfAddColumnAreSplitIntoTheirSafeForms) {
  ASSERT_NO_FATAL_FAILURE(Prepare(
      "ALTER TABLE accounts ADD COLUMN score int CHECK (score > 0);\n"
      "ALTER TABLE accounts ADD COLUMN code text UNIQUE;\n"
      "ALTER TABLE accounts ADD COLUMN owner_id bigint DEFAULT 1 REFERENCES owners (id) ON DELETE "
      "CASCADE;\n"
      "ALTER TABLE accounts ADD COLUMN level int NOT NULL DEFAULT 1 CONSTRAINT level_positive "
      "CHECK (level > 0), ADD COLUMN note text;\n"));
  std::string planned = PlanText(safe_);
  EXPECT_NE(planned.find("ADD CHECK (score > 0) NOT VALID"), std::string::npos) << planned;
  EXPECT_NE(planned.find("CREATE UNIQUE INDEX CONCURRENTLY \"accounts_code_key\""),
            std::string::npos)
      << planned;
  EXPECT_NE(planned.find("ADD FOREIGN KEY (\"owner_id\") REFERENCES owners (id) ON DELETE "
                         "CASCADE NOT VALID"),
            std::string::npos)
      << planned;
  EXPECT_NE(planned.find("ADD CONSTRAINT level_positive CHECK (level > 0) NOT VALID"),
            std::string::npos)
      << planned;
  TideRun r = Tide(safe_, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  ExpectSameAsPlain("inline constraints split");
  EXPECT_EQ(Value(safe_, "SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint "
                         "WHERE conrelid = 'accounts'::regclass"),
            "accounts_code_key,accounts_owner_id_fkey,accounts_pkey,accounts_score_check,"
            "level_positive");
}

}  // namespace
}  // namespace tide::testing
