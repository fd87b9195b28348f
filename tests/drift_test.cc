// tide check --drift on a real cluster: after a clean migrate there is no drift; each kind of
// hand change is found with its kind and reconciling statement, and that statement, run, makes
// the check pass again.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "harness.h"

namespace tide::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kBase = R"(CREATE EXTENSION IF NOT EXISTS hstore;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
CREATE TABLE customers (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL,
  status text NOT NULL DEFAULT 'active',
  feeling mood,
  email text
);
CREATE INDEX customers_name_idx ON customers (name);
CREATE TABLE orders (
  id serial PRIMARY KEY,
  customer_id bigint REFERENCES customers (id),
  total numeric(10, 2) CHECK (total >= 0),
  items positive
);
CREATE VIEW active_customers AS SELECT id, name FROM customers WHERE status = 'active';
CREATE MATERIALIZED VIEW order_totals AS
  SELECT customer_id, sum(total) AS total FROM orders GROUP BY customer_id;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.status := lower(NEW.status);
  RETURN NEW;
END $$;
CREATE TRIGGER customers_touch BEFORE INSERT OR UPDATE ON customers
  FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TABLE audit_log (id bigint, entry text);
)";

class DbDriftTest : public DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    dir_.Write("migrations/V1__base.sql", kBase);
    dir_.Write("migrations/V2__order_limit.sql",
               "ALTER TABLE orders ADD CONSTRAINT orders_total_max CHECK (total < 1000000);\n");
    TideRun r = Tide({"migrate"});
    ASSERT_EQ(r.exit_code, 0) << r.all();
  }

  TideRun Tide(std::vector<std::string> args) {
    args.insert(args.begin(), {"--url", url()});
    return RunTide(args, dir_.path());
  }

  // The check on a scratch database of the shared cluster (one cluster for the whole suite).
  TideRun Check(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--json", "check", "--drift", "--scratch-url",
                                     SharedCluster().SocketUrl()};
    args.insert(args.end(), extra.begin(), extra.end());
    return Tide(args);
  }

  // The one finding of a check that found drift.
  nlohmann::json OneFinding() {
    TideRun r = Check();
    EXPECT_EQ(r.exit_code, 1) << r.all();
    auto doc = nlohmann::json::parse(r.out, nullptr, false);
    if (doc.is_discarded() || doc["findings"].size() != 1) {
      ADD_FAILURE() << "expected one finding:\n" << r.all();
      return nlohmann::json::object();
    }
    return doc["findings"][0];
  }

  // Runs each statement of a finding on its own (CONCURRENTLY refuses a transaction block),
  // then the check must pass again.
  void ReconcileAndPass(const nlohmann::json& finding) {
    std::string sql = finding.value("to_history", "");
    ASSERT_FALSE(sql.empty()) << finding.dump(2);
    if (sql.find("CONCURRENTLY") == std::string::npos) {
      Sql(sql);
    } else {
      for (size_t start = 0; start < sql.size();) {
        size_t end = sql.find(";\n", start);
        if (end == std::string::npos) end = sql.size();
        Sql(sql.substr(start, end - start));
        start = end + 2;
      }
    }
    TideRun r = Check();
    EXPECT_EQ(r.exit_code, 0) << sql << "\n" << r.all();
  }

  TempDir dir_;
};

TEST_F(DbDriftTest, CleanMigrateHasNoDriftOnAThrowawayClusterOrAScratchServer) {
  // The default: a throwaway local PostgreSQL, started and removed by the check.
  TideRun r = Tide({"check", "--drift"});
  EXPECT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("No drift"), std::string::npos) << r.all();
  // Only catalogs are read: a session holding ACCESS EXCLUSIVE on a table does not stop it.
  // (The server deparses a view's definition under ACCESS SHARE on the tables the view reads:
  // audit_log is read by none.)
  pg::Connection locker = Connect("locker");
  ASSERT_TRUE(locker.Run("BEGIN").ok());
  ASSERT_TRUE(locker.Run("LOCK TABLE audit_log IN ACCESS EXCLUSIVE MODE").ok());
  r = Check();
  ASSERT_TRUE(locker.Run("ROLLBACK").ok());
  ASSERT_EQ(r.exit_code, 0) << r.all();
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["drift"], false);
  EXPECT_GT(doc["objects"]["database"].get<int>(), 20);
  // tide's scratch databases are gone.
  EXPECT_EQ(pg::Connection::Open(SharedCluster().SocketUrl())
                ->QueryValue("SELECT count(*) FROM pg_database WHERE datname LIKE 'tide_drift%'")
                ->value_or("?"),
            "0");
  r = Tide({"check", "--drift", "--format", "sarif", "--scratch-url", SharedCluster().SocketUrl()});
  EXPECT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(nlohmann::json::parse(r.out)["runs"][0]["results"].size(), 0u);
}

TEST_F(DbDriftTest, ExtraIndexIsFoundAndDroppedConcurrently) {
  Sql("CREATE INDEX customers_email_idx ON customers (email)");
  auto f = OneFinding();
  EXPECT_EQ(f["kind"], "extra");
  EXPECT_EQ(f["object_kind"], "index");
  EXPECT_EQ(f["to_history"], "DROP INDEX CONCURRENTLY public.customers_email_idx");
  EXPECT_EQ(
      f["to_migration"],
      "CREATE INDEX CONCURRENTLY customers_email_idx ON public.customers USING btree (email)");
  ReconcileAndPass(f);
}

TEST_F(DbDriftTest, DroppedColumnIsFoundAndAddedBack) {
  Sql("ALTER TABLE customers DROP COLUMN email");
  auto f = OneFinding();
  EXPECT_EQ(f["kind"], "missing");
  EXPECT_EQ(f["object"], "public.customers.email");
  EXPECT_EQ(f["to_history"], "ALTER TABLE public.customers ADD COLUMN email text");
  ReconcileAndPass(f);
}

TEST_F(DbDriftTest, ChangedDefaultIsFoundAndSetBack) {
  Sql("ALTER TABLE customers ALTER COLUMN status SET DEFAULT 'new'");
  auto f = OneFinding();
  EXPECT_EQ(f["kind"], "changed");
  EXPECT_EQ(f["differences"][0]["fact"], "default");
  EXPECT_EQ(f["differences"][0]["history"], "'active'::text");
  EXPECT_EQ(f["differences"][0]["database"], "'new'::text");
  EXPECT_EQ(f["to_history"],
            "ALTER TABLE public.customers ALTER COLUMN status SET DEFAULT 'active'::text");
  ReconcileAndPass(f);
}

TEST_F(DbDriftTest, NotValidConstraintLeftBehindIsFoundAndValidated) {
  Sql("ALTER TABLE orders DROP CONSTRAINT orders_total_max");
  Sql("ALTER TABLE orders ADD CONSTRAINT orders_total_max CHECK (total < 1000000) NOT VALID");
  auto f = OneFinding();
  EXPECT_EQ(f["kind"], "changed");
  EXPECT_EQ(f["object"], "public.orders.orders_total_max");
  EXPECT_EQ(f["differences"][0]["fact"], "validated");
  EXPECT_EQ(f["to_history"], "ALTER TABLE public.orders VALIDATE CONSTRAINT orders_total_max");
  ReconcileAndPass(f);
}

TEST_F(DbDriftTest, AlteredViewIsFoundAndRebuilt) {
  Sql("CREATE OR REPLACE VIEW active_customers AS SELECT id, name, email FROM customers "
      "WHERE status = 'active'");
  auto f = OneFinding();
  EXPECT_EQ(f["kind"], "changed");
  EXPECT_EQ(f["object_kind"], "view");
  EXPECT_EQ(f["differences"][0]["fact"], "definition");
  // The history's view has fewer columns: CREATE OR REPLACE cannot do it.
  EXPECT_EQ(f["to_history"].get<std::string>().rfind("DROP VIEW public.active_customers;\n", 0), 0u)
      << f.dump(2);
  // Adopting the change is a plain CREATE OR REPLACE VIEW.
  EXPECT_EQ(f["to_migration"].get<std::string>().rfind("CREATE OR REPLACE VIEW", 0), 0u);
  ReconcileAndPass(f);
}

TEST_F(DbDriftTest, ChangedFunctionBodyIsFoundAndReplaced) {
  Sql("CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "NEW.status := upper(NEW.status); RETURN NEW; END $$");
  auto f = OneFinding();
  EXPECT_EQ(f["kind"], "changed");
  EXPECT_EQ(f["object"], "public.touch()");
  std::string fix = f["to_history"];
  EXPECT_EQ(fix.rfind("CREATE OR REPLACE FUNCTION public.touch()", 0), 0u) << fix;
  EXPECT_NE(fix.find("lower(NEW.status)"), std::string::npos) << fix;
  ReconcileAndPass(f);
}

TEST_F(DbDriftTest, ExtraTableIsOneFindingAndDropped) {
  Sql("CREATE TABLE hotfix_audit (id serial PRIMARY KEY, note text NOT NULL DEFAULT '')");
  Sql("CREATE INDEX hotfix_audit_note_idx ON hotfix_audit (note)");
  auto f = OneFinding();
  EXPECT_EQ(f["kind"], "extra");
  EXPECT_EQ(f["object_kind"], "table");
  EXPECT_EQ(f["to_history"], "DROP TABLE public.hotfix_audit");
  std::string adopt = f["to_migration"];
  EXPECT_NE(adopt.find("CREATE SEQUENCE public.hotfix_audit_id_seq"), std::string::npos) << adopt;
  EXPECT_NE(adopt.find("note text DEFAULT ''::text NOT NULL"), std::string::npos) << adopt;
  EXPECT_NE(adopt.find("CONSTRAINT hotfix_audit_pkey PRIMARY KEY (id)"), std::string::npos);
  EXPECT_NE(adopt.find("CREATE INDEX CONCURRENTLY hotfix_audit_note_idx"), std::string::npos);
  ReconcileAndPass(f);
}

TEST_F(DbDriftTest, OlderExtensionVersionIsFoundAndUpdated) {
  Sql("DROP EXTENSION hstore");
  Sql("CREATE EXTENSION hstore VERSION '1.7'");
  auto f = OneFinding();
  EXPECT_EQ(f["kind"], "changed");
  EXPECT_EQ(f["object_kind"], "extension");
  EXPECT_EQ(f["differences"][0]["fact"], "version");
  EXPECT_EQ(f["differences"][0]["database"], "1.7");
  EXPECT_EQ(f["to_history"], "ALTER EXTENSION hstore UPDATE TO '1.8'");
  ReconcileAndPass(f);
}

TEST_F(DbDriftTest, AddedEnumLabelIsFoundAndTheTypeRebuilt) {
  Sql("ALTER TYPE mood ADD VALUE 'angry'");
  Sql("INSERT INTO customers (name, feeling) VALUES ('a', 'happy')");
  auto f = OneFinding();
  EXPECT_EQ(f["kind"], "changed");
  EXPECT_EQ(f["object_kind"], "enum");
  EXPECT_EQ(f["differences"][0]["database"], "'sad', 'ok', 'happy', 'angry'");
  EXPECT_EQ(f["to_migration"], "ALTER TYPE public.mood ADD VALUE 'angry' AFTER 'happy'");
  ReconcileAndPass(f);
  EXPECT_EQ(Value("SELECT feeling::text FROM customers"), "happy");  // rows kept
}

TEST_F(DbDriftTest, DroppedTriggerIsFoundAndCreatedAgain) {
  Sql("DROP TRIGGER customers_touch ON customers");
  auto f = OneFinding();
  EXPECT_EQ(f["kind"], "missing");
  EXPECT_EQ(f["object_kind"], "trigger");
  EXPECT_EQ(f["to_history"].get<std::string>().rfind("CREATE TRIGGER customers_touch", 0), 0u);
  EXPECT_EQ(f["to_migration"], "DROP TRIGGER customers_touch ON public.customers");
  ReconcileAndPass(f);
}

TEST_F(DbDriftTest, IgnoredObjectsFromFlagsAndTideTomlAreNotDrift) {
  Sql("CREATE TABLE legacy_report (id int)");
  Sql("CREATE INDEX customers_email_idx ON customers (email)");
  EXPECT_EQ(Check().exit_code, 1);
  TideRun r = Check({"--ignore", "public.legacy_*", "--ignore", "public.customers.*_email_*"});
  EXPECT_EQ(r.exit_code, 0) << r.all();
  dir_.Write("tide.toml", "[drift]\nignore = [\"public.legacy_*\", \"*.customers_email_idx\"]\n");
  r = Check();
  EXPECT_EQ(r.exit_code, 0) << r.all();
  dir_.Write("tide.toml", "[drift]\nignored = [\"x\"]\n");
  r = Check();
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.err.find("tide.toml:2"), std::string::npos) << r.err;
}

TEST_F(DbDriftTest, FileChangedSinceAppliedIsAnErrorNotAVerdict) {
  dir_.Write("migrations/V2__order_limit.sql",
             "ALTER TABLE orders ADD CONSTRAINT orders_total_max CHECK (total < 5);\n");
  TideRun r = Check();
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.err.find("changed since it was applied"), std::string::npos) << r.err;
}

TEST_F(DbDriftTest, MigrateWithCheckDriftStopsBeforeApplyingOnADriftedDatabase) {
  dir_.Write("migrations/V3__notes.sql", "CREATE TABLE notes (id int);\n");
  Sql("CREATE INDEX customers_email_idx ON customers (email)");
  TideRun r = Tide({"migrate", "--check-drift", "--scratch-url", SharedCluster().SocketUrl()});
  EXPECT_EQ(r.exit_code, 1) << r.all();
  EXPECT_NE(r.err.find("extra index public.customers.customers_email_idx"), std::string::npos)
      << r.all();
  EXPECT_NE(r.err.find("nothing was applied"), std::string::npos) << r.all();
  EXPECT_EQ(Value("SELECT to_regclass('notes') IS NULL"), "t");
  Sql("DROP INDEX customers_email_idx");
  r = Tide({"migrate", "--check-drift", "--scratch-url", SharedCluster().SocketUrl()});
  EXPECT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(Value("SELECT to_regclass('notes') IS NOT NULL"), "t");
}

// A declarative migration between its halves: the replay stops it after its expand, as the
// database has it, so its columns, sync trigger and views schema are no drift; after the
// contract, neither is the contracted shape.
class DbDriftDeclarativeTest : public DbTest {};

TEST_F(DbDriftDeclarativeTest, ExpandedDeclarativeMigrationIsReplayedToTheSameHalf) {
  TempDir dir;
  fs::copy(fs::path(TIDE_SOURCE_DIR) / "examples/customers-declarative/migrations",
           dir.path() / "migrations");
  auto tide = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--url", url()});
    return RunTide(args, dir.path());
  };
  std::vector<std::string> check = {"check", "--drift", "--scratch-url",
                                    SharedCluster().SocketUrl()};
  ASSERT_EQ(tide({"expand"}).exit_code, 0);
  EXPECT_EQ(Value("SELECT count(*) FROM pg_namespace WHERE nspname = 'public_v2'"), "1");
  TideRun r = tide(check);
  EXPECT_EQ(r.exit_code, 0) << r.all();
  // A views schema left behind is drift.
  ASSERT_EQ(tide({"contract", "--skip-gate", "test"}).exit_code, 0);
  r = tide(check);
  EXPECT_EQ(r.exit_code, 0) << r.all();
  Sql("CREATE SCHEMA public_v2");
  r = tide(check);
  EXPECT_EQ(r.exit_code, 1) << r.all();
  EXPECT_NE(r.out.find("extra schema public_v2"), std::string::npos) << r.all();
}

}  // namespace
}  // namespace tide::testing
