// Hostile names: tables, columns, constraints, indexes and the history schema named with quotes,
// spaces, semicolons, unicode and reserved words go through every rewrite tide makes (batched
// UPDATE and DELETE, CREATE INDEX CONCURRENTLY, NOT VALID + VALIDATE, SET NOT NULL through a
// check, UNIQUE through an index, a named-by-the-server constraint) and end exactly as the same
// files run plainly, as Flyway would run them. plan and info print them without breaking.
#include <gtest/gtest.h>

#include "customers_cycle.h"
#include "db_compare.h"
#include "harness.h"

namespace tide::testing {
namespace {

const char* kSchema = "app \"v2\"; schéma";

const char* kCreate =
    "CREATE TABLE \"select\" (\"id\" int PRIMARY KEY, \"from\" text);\n"
    "CREATE TABLE \"Order Items\" (\n"
    "  \"select\" bigserial PRIMARY KEY,\n"
    "  \"a\"\"b\" text,\n"
    "  \"x;DROP TABLE y\" int,\n"
    "  \"ünïcødé\" text,\n"
    "  \"Spaced Col\" int\n"
    ");\n";

const char* kSeed =
    "INSERT INTO \"select\" SELECT g, CASE WHEN g % 50 = 0 THEN NULL ELSE 'f' || g END "
    "FROM generate_series(1, 500) g;\n"
    "INSERT INTO \"Order Items\" (\"a\"\"b\", \"x;DROP TABLE y\", \"ünïcødé\", \"Spaced Col\") "
    "SELECT 'ab-' || g, g % 7, 'ü' || g, 1 + g % 500 FROM generate_series(1, 2000) g;\n"
    "ANALYZE;\n";

const char* kExpand =
    "ALTER TABLE \"Order Items\" ADD COLUMN \"new \"\"col\"\"\" text;\n"
    "UPDATE \"Order Items\" SET \"new \"\"col\"\"\" = \"a\"\"b\" || ';' || \"ünïcødé\";\n"
    "CREATE INDEX \"idx \"\"q\"\"; name\" ON \"Order Items\" (\"x;DROP TABLE y\");\n"
    "CREATE INDEX ON \"Order Items\" (\"ünïcødé\", \"new \"\"col\"\"\");\n";

// Constraints tighten what the old release may write: contract statements.
const char* kContract =
    "ALTER TABLE \"Order Items\" ADD CONSTRAINT \"chk; DROP TABLE x\" "
    "CHECK (\"x;DROP TABLE y\" >= 0);\n"
    "ALTER TABLE \"Order Items\" ADD FOREIGN KEY (\"Spaced Col\") REFERENCES \"select\" (\"id\");\n"
    "ALTER TABLE \"Order Items\" ADD CONSTRAINT \"uniq ünï\" UNIQUE (\"a\"\"b\");\n"
    "ALTER TABLE \"Order Items\" ALTER COLUMN \"ünïcødé\" SET NOT NULL;\n"
    "ALTER TABLE \"Order Items\" ALTER COLUMN \"new \"\"col\"\"\" SET NOT NULL;\n"
    "DELETE FROM \"select\" WHERE \"from\" IS NULL AND \"id\" NOT IN "
    "(SELECT \"Spaced Col\" FROM \"Order Items\");\n"
    "ALTER TABLE \"select\" ADD UNIQUE (\"from\");\n"
    "ALTER TABLE \"Order Items\" RENAME COLUMN \"Spaced Col\" TO \"Spaced; Col\";\n"
    "ALTER TABLE \"Order Items\" DROP COLUMN \"x;DROP TABLE y\";\n";

class DbHostileNamesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("tide.toml",
               "locations = [\"migrations\"]\n"
               "lock_timeout = \"200ms\"\n"
               "[backfill]\n"
               "small_table_rows = 100\n"
               "target_batch = \"5ms\"\n"
               "min_batch = 50\n"
               "max_batch = 200\n");
    dir_.Write("migrations/V1__create.sql", kCreate);
    dir_.Write("migrations/V2__expand.sql", kExpand);
    dir_.Write("migrations/V3__contract.sql", kContract);
    for (std::string* db : {&safe_, &plain_}) {
      *db = UniqueName("tide_hostile");
      CreateDatabase(*db);
    }
  }
  void TearDown() override {
    DropDatabase(safe_);
    DropDatabase(plain_);
  }
  TideRun Tide(const std::string& db, std::vector<std::string> args) {
    args.insert(args.begin(), {"--url", DatabaseUrl(db), "--schema", kSchema});
    return RunTide(args, dir_.path());
  }
  // V1, the rows, then the rest; --plain runs each file as written in one transaction.
  void Cycle(const std::string& db, bool plain) {
    std::vector<std::string> extra;
    if (plain) extra.push_back("--plain");
    auto migrate = [&](const std::string& target) {
      std::vector<std::string> args = {"migrate", "--target", target};
      args.insert(args.end(), extra.begin(), extra.end());
      TideRun r = Tide(db, args);
      ASSERT_EQ(r.exit_code, 0) << r.all();
    };
    migrate("1");
    auto conn = pg::Connection::Open(DatabaseUrl(db), "tide-test");
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE(
        conn->Query("SELECT set_config('search_path', $1, false)", {"\"app \"\"v2\"\"; schéma\""})
            .ok());
    auto seeded = conn->Exec(kSeed);
    ASSERT_TRUE(seeded.ok()) << seeded.error().ToString();
    TideRun planned = Tide(db, {"plan"});
    ASSERT_EQ(planned.exit_code, 0) << planned.all();
    plan_output_ += planned.all();
    migrate("latest");
  }
  TempDir dir_;
  std::string safe_, plain_;
  std::string plan_output_;
};

TEST_F(DbHostileNamesTest, EveryRewriteEndsWhereAPlainRunEnds) {
  Cycle(safe_, false);
  Cycle(plain_, true);
  std::string history = "\"app \"\"v2\"\"; schéma\".\"flyway_schema_history\"";
  Fingerprint safe = TakeFingerprint(DatabaseUrl(safe_), history);
  Fingerprint plain = TakeFingerprint(DatabaseUrl(plain_), history);
  EXPECT_EQ(safe.schema, plain.schema);
  EXPECT_EQ(safe.rows, plain.rows);
  EXPECT_EQ(safe.history, plain.history);
  EXPECT_EQ(safe.leftovers, "");
  EXPECT_NE(safe.schema.find("\"Order Items\""), std::string::npos) << safe.schema;
  EXPECT_NE(safe.schema.find("\"Spaced; Col\""), std::string::npos) << safe.schema;
  // The safe run did rewrite: batches, concurrent builds, NOT VALID then VALIDATE.
  TideRun info = Tide(safe_, {"info"});
  EXPECT_EQ(info.exit_code, 0) << info.all();
  EXPECT_NE(info.out.find("expand"), std::string::npos) << info.out;
  EXPECT_NE(plan_output_.find("CONCURRENTLY"), std::string::npos) << plan_output_;
  EXPECT_NE(plan_output_.find("NOT VALID"), std::string::npos) << plan_output_;
  EXPECT_NE(plan_output_.find("\"Order Items\""), std::string::npos) << plan_output_;
}

}  // namespace
}  // namespace tide::testing
