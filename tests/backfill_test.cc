// Whole-table UPDATE and DELETE against a real cluster, held to what the plain statement does:
// every row changed exactly once (triggers that count versions and write an audit trail show
// it), the count reported equal to the statement's, after a kill and a rerun too; and the
// contract's catch-up, also on a small table and after a resume (issues 15 and 23).
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "customers_cycle.h"
#include "db_compare.h"
#include "harness.h"

namespace tide::testing {
namespace {

// One database per side of a comparison, on the shared cluster.
class Twin {
 public:
  Twin() : name_(UniqueName("tide_backfill")) { CreateDatabase(name_); }
  ~Twin() { DropDatabase(name_); }
  std::string url() const { return DatabaseUrl(name_); }
  void Sql(const std::string& sql) const {
    auto conn = pg::Connection::Open(url(), "tide-test");
    ASSERT_TRUE(conn.ok()) << conn.error().ToString();
    auto r = conn->Exec(sql);
    ASSERT_TRUE(r.ok()) << sql << ": " << r.error().ToString();
  }
  std::string Value(const std::string& sql) const {
    auto conn = pg::Connection::Open(url(), "tide-test");
    EXPECT_TRUE(conn.ok());
    auto v = conn->QueryValue(sql);
    EXPECT_TRUE(v.ok()) << sql << ": " << v.error().ToString();
    return v.ok() ? v->value_or("NULL") : "";
  }

 private:
  std::string name_;
};

// A table without any key, as logs and imported data often are, with a BEFORE UPDATE trigger
// that counts the versions of each row and an AFTER UPDATE trigger that audits every change.
constexpr int kEventRows = 60000;
const char* kEvents =
    "CREATE TABLE events (account int NOT NULL, amount int NOT NULL, note text, "
    "  version int NOT NULL DEFAULT 0);"
    "CREATE TABLE events_audit (account int, old_amount int, new_amount int, version int);"
    "CREATE FUNCTION events_bump() RETURNS trigger LANGUAGE plpgsql AS "
    "  $$BEGIN NEW.version := OLD.version + 1; RETURN NEW; END$$;"
    "CREATE TRIGGER events_bump BEFORE UPDATE ON events FOR EACH ROW "
    "  EXECUTE FUNCTION events_bump();"
    "CREATE FUNCTION events_audit() RETURNS trigger LANGUAGE plpgsql AS "
    "  $$BEGIN INSERT INTO events_audit VALUES (NEW.account, OLD.amount, NEW.amount, "
    "  NEW.version); RETURN NULL; END$$;"
    "CREATE TRIGGER events_audit AFTER UPDATE ON events FOR EACH ROW "
    "  EXECUTE FUNCTION events_audit();"
    "INSERT INTO events (account, amount, note) SELECT g % 997, g, 'n' || g "
    "  FROM generate_series(1, 60000) g;"
    "ANALYZE events;";

const char* kToml =
    "locations = [\"migrations\"]\n"
    "lock_timeout = \"200ms\"\n"
    "lock_wait = \"20s\"\n"
    "[backfill]\n"
    "small_table_rows = 100\n"
    "target_batch = \"20ms\"\n"
    "min_batch = 50\n"
    "max_batch = 1000\n";

class DbBackfillTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_.Write("tide.toml", kToml); }
  void Migration(const std::string& name, const std::string& sql) {
    dir_.Write("migrations/" + name, sql);
  }
  TideRun Tide(const Twin& db, std::vector<std::string> args,
               const std::vector<std::string>& env = {}) {
    args.insert(args.begin(), {"--url", db.url()});
    return RunTide(args, dir_.path(), env);
  }
  // The events table at version 1 of the history.
  void Events(const Twin& db) {
    db.Sql(kEvents);
    TideRun r = Tide(db, {"baseline", "--version", "1"});
    ASSERT_EQ(r.exit_code, 0) << r.all();
  }
  static void ExpectSameRows(const Twin& got, const Twin& want) {
    Fingerprint a = TakeFingerprint(got.url());
    Fingerprint b = TakeFingerprint(want.url());
    EXPECT_EQ(a.schema, b.schema);
    EXPECT_EQ(a.rows, b.rows);
    EXPECT_EQ(a.history, b.history);
    EXPECT_EQ(a.leftovers, b.leftovers);  // the table's own triggers, no tide helper
  }
  TempDir dir_;
};

const char* kDoubleAmounts = "UPDATE events SET amount = amount * 2 WHERE note IS NOT NULL;\n";
const char* kAllowed =
    "-- tide:allow backfill-without-key events has no key; its row locks may wait\n";

// Today's main batched this over ctid ranges: versions of 1 to 4 per row, an audit trail with
// too many rows, and a count higher than the table. Without a key tide refuses it and changes
// nothing; the UPDATE and a DELETE alike.
TEST_F(DbBackfillTest, WholeTableDmlWithoutAKeyIsRefusedAndChangesNothing) {
  Twin db;
  Events(db);
  for (const char* sql : {kDoubleAmounts, "UPDATE events SET note = 'account ' || account;\n",
                          "DELETE FROM events WHERE amount % 7 = 0;\n"}) {
    SCOPED_TRACE(sql);
    Migration("V2__change_events.sql", sql);
    TideRun r = Tide(db, {"migrate"});
    EXPECT_EQ(r.exit_code, 2) << r.all();
    EXPECT_NE(r.err.find("no primary key"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("tide:allow backfill-without-key"), std::string::npos) << r.err;
    EXPECT_EQ(db.Value("SELECT count(*) FROM events WHERE version <> 0"), "0");
    EXPECT_EQ(db.Value("SELECT count(*) FROM events"), std::to_string(kEventRows));
    EXPECT_EQ(db.Value("SELECT count(*) FROM events_audit"), "0");
  }
}

// Allowed, it runs as the statement itself: each row once, the audit trail and the count equal
// to a plain run's on an identical table, row by row.
TEST_F(DbBackfillTest, AllowedWithoutAKeyEachRowChangesOnceAsInAPlainRun) {
  Twin tide_db, plain_db;
  Events(tide_db);
  Events(plain_db);
  Migration("V2__double_amounts.sql", std::string(kAllowed) + kDoubleAmounts);
  TideRun r = Tide(tide_db, {"--json", "migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  auto doc = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << r.out;
  const auto& steps = doc["applied"][0]["steps"];
  ASSERT_EQ(steps.size(), 1u) << doc.dump(2);
  EXPECT_EQ(steps[0]["rows"], kEventRows) << doc.dump(2);
  TideRun plain = Tide(plain_db, {"migrate", "--plain"});
  ASSERT_EQ(plain.exit_code, 0) << plain.all();
  EXPECT_EQ(tide_db.Value("SELECT count(*) FROM events WHERE version <> 1"), "0");
  EXPECT_EQ(tide_db.Value("SELECT count(*) FROM events_audit"), std::to_string(kEventRows));
  ExpectSameRows(tide_db, plain_db);
}

// Killed in the middle (before its transaction commits) and run again: the same end as a plain
// run, nothing applied twice.
TEST_F(DbBackfillTest, AllowedWithoutAKeyKilledThenRerunEndsAsAPlainRun) {
  Twin tide_db, plain_db;
  Events(tide_db);
  Events(plain_db);
  Migration("V2__double_amounts.sql", std::string(kAllowed) + kDoubleAmounts);
  TideRun killed = Tide(tide_db, {"migrate"}, {"TIDE_FAULT=group.before_commit"});
  EXPECT_EQ(killed.exit_code, -SIGKILL) << killed.all();
  EXPECT_EQ(tide_db.Value("SELECT count(*) FROM events_audit"), "0");
  TideRun r = Tide(tide_db, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  ASSERT_EQ(Tide(plain_db, {"migrate", "--plain"}).exit_code, 0);
  EXPECT_EQ(tide_db.Value("SELECT count(*) FROM events WHERE version <> 1"), "0");
  ExpectSameRows(tide_db, plain_db);
}

// A keyed backfill killed after its fifth batch: the rerun's count is the statement's (the
// killed run's last batch was left out of it), and a run killed after its last step says so
// instead of "resuming at step 2 of 1".
TEST_F(DbBackfillTest, ResumedBackfillReportsTheStatementsCountAndNoStepPastTheEnd) {
  Twin db;
  db.Sql(
      "CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL DEFAULT 0);"
      "INSERT INTO counters (id) SELECT g FROM generate_series(1, 20000) g; ANALYZE counters");
  ASSERT_EQ(Tide(db, {"baseline", "--version", "1"}).exit_code, 0);
  Migration("V2__bump.sql", "UPDATE counters SET n = n + 1 WHERE id % 2 = 0;\n");
  TideRun killed = Tide(db, {"migrate"}, {"TIDE_FAULT=backfill.after_batch_commit:5"});
  ASSERT_EQ(killed.exit_code, -SIGKILL) << killed.all();
  TideRun r = Tide(db, {"--json", "migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  auto doc = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << r.out;
  const auto& steps = doc["applied"][0]["steps"];
  ASSERT_EQ(steps.size(), 1u) << doc.dump(2);
  EXPECT_EQ(steps[0]["rows"], 10000) << doc.dump(2);
  EXPECT_EQ(db.Value("SELECT count(*) FROM counters WHERE n <> (id % 2 + 1) % 2"), "0");

  Migration("V3__bump.sql", "UPDATE counters SET n = n + 1;\n");
  killed = Tide(db, {"migrate"}, {"TIDE_FAULT=step.advanced"});
  ASSERT_EQ(killed.exit_code, -SIGKILL) << killed.all();
  r = Tide(db, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(r.all().find("step 2 of 1"), std::string::npos) << r.all();
  EXPECT_NE(r.out.find("all 1 step applied; recording it"), std::string::npos) << r.out;
  EXPECT_EQ(db.Value("SELECT count(*) FROM counters WHERE n <> 1 + (id + 1) % 2"), "0");
}

// A catch-up cannot fill a row its UPDATE would not fill: VALIDATE of tide's check fails, the
// error says what to do, and `tide repair` gives the run up without leaving tide's check behind.
TEST_F(DbBackfillTest, ValidateThatFailsSaysWhatToDoAndRepairLeavesNoCheck) {
  Twin db;
  db.Sql(
      "CREATE TABLE people (id bigint PRIMARY KEY, name text NOT NULL, phone text);"
      "INSERT INTO people SELECT g, 'p' || g, CASE WHEN g % 50 = 0 THEN NULL "
      "  ELSE 'tel' || g END FROM generate_series(1, 500) g; ANALYZE people");
  ASSERT_EQ(Tide(db, {"baseline", "--version", "1"}).exit_code, 0);
  Migration("V2__add_contact.sql",
            "ALTER TABLE people ADD COLUMN contact text;\n"
            "UPDATE people SET contact = phone WHERE contact IS NULL;\n");
  ASSERT_EQ(Tide(db, {"migrate"}).exit_code, 0);
  Migration("V3__contact_required.sql", "ALTER TABLE people ALTER COLUMN contact SET NOT NULL;\n");
  TideRun r = Tide(db, {"migrate"});
  EXPECT_EQ(r.exit_code, 1) << r.all();
  EXPECT_NE(r.err.find("23514"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("still NULL"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("tide repair"), std::string::npos) << r.err;
  ASSERT_EQ(db.Value("SELECT count(*) FROM pg_constraint WHERE conname LIKE 'tide_nn_%'"), "1");
  r = Tide(db, {"repair"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.all().find("dropped tide's temporary check"), std::string::npos) << r.all();
  EXPECT_EQ(db.Value("SELECT count(*) FROM pg_constraint WHERE conname LIKE 'tide_nn_%'"), "0");
  EXPECT_EQ(db.Value("SELECT count(*) FROM tide_migration_state WHERE script = "
                     "'V3__contact_required.sql'"),
            "0");
  // With the data fixed, the file runs afresh to the end.
  db.Sql("UPDATE people SET contact = 'none' WHERE contact IS NULL");
  r = Tide(db, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(db.Value("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'people'::regclass "
                     "AND attname = 'contact'"),
            "t");
  EXPECT_EQ(db.Value("SELECT count(*) FROM pg_constraint WHERE conname LIKE 'tide_nn_%'"), "0");
}

// Issue 15: the seed's cycle on a 1,000-row table (under small_table_rows, so the contract runs
// as written) where the old release inserted rows after the expand. A plain run of V1.2 fails
// with 23502; tide's catch-up runs first, and the end equals a plain run's on data where those
// rows existed before the expand.
TEST(DbSmallTableCatchUpTest, SeedContractOnASmallTableCatchesUpOldReleaseRows) {
  TempDir dir;
  std::filesystem::copy(CustomersMigrations(), dir.path() / "migrations");
  dir.Write("tide.toml", "locations = [\"migrations\"]\n");
  auto tide = [&](const Twin& db, std::vector<std::string> args) {
    args.insert(args.begin(), {"--url", db.url()});
    return RunTide(args, dir.path());
  };
  const std::string seed =
      "INSERT INTO customers (name, contact_info) SELECT 'Customer ' || g, 'c' || g || "
      "'@example.com' FROM generate_series(1, 1000) g";
  const std::string late =
      "INSERT INTO customers (id, name, contact_info) SELECT 1000 + g, 'Late ' || g, 'l' || g "
      "FROM generate_series(1, 50) g";
  const std::string v2_write = "UPDATE customers SET email = 'kept@v2' WHERE id = 7";
  Twin tide_db, plain_db, plain_fails;
  for (const Twin* db : {&tide_db, &plain_fails}) {
    ASSERT_EQ(tide(*db, {"migrate", "--target", "1"}).exit_code, 0);
    db->Sql(seed);
    ASSERT_EQ(tide(*db, {"migrate", "--target", "1.1"}).exit_code, 0);
    db->Sql(late);  // the old release, unaware of email
    db->Sql(v2_write);
  }
  TideRun plain = tide(plain_fails, {"migrate", "--plain"});
  EXPECT_EQ(plain.exit_code, 1) << plain.all();
  EXPECT_NE(plain.err.find("23502"), std::string::npos) << plain.err;
  TideRun r = tide(tide_db, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(tide_db.Value("SELECT email FROM customers WHERE id = 1001"),
            "late.1@legacy.example.com");
  EXPECT_EQ(tide_db.Value("SELECT email FROM customers WHERE id = 7"), "kept@v2");
  // The same rows, present before the expand, in a plain run of every file.
  ASSERT_EQ(tide(plain_db, {"migrate", "--plain", "--target", "1"}).exit_code, 0);
  plain_db.Sql(seed);
  plain_db.Sql(late);
  ASSERT_EQ(tide(plain_db, {"migrate", "--plain", "--target", "1.1"}).exit_code, 0);
  plain_db.Sql(v2_write);
  ASSERT_EQ(tide(plain_db, {"migrate", "--plain"}).exit_code, 0);
  Fingerprint got = TakeFingerprint(tide_db.url());
  Fingerprint want = TakeFingerprint(plain_db.url());
  EXPECT_EQ(got.schema, want.schema);
  EXPECT_EQ(got.rows, want.rows);
  EXPECT_EQ(got.leftovers, "");
}

}  // namespace
}  // namespace tide::testing
