// The zero-downtime executor against a real cluster: each rewrite's effect on the catalog and the
// data, with the application writing meanwhile; kill and resume; leftovers cleaned; refusals.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "base/strings.h"
#include "harness.h"

namespace tide::testing {
namespace {

namespace fs = std::filesystem;

class DbExecutorTest : public DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    dir_.Write("tide.toml",
               "locations = [\"migrations\"]\n"
               "lock_timeout = \"200ms\"\n"
               "lock_wait = \"20s\"\n"
               "[backfill]\n"
               "small_table_rows = 100\n"
               "target_batch = \"20ms\"\n");
  }
  void Migration(const std::string& name, const std::string& sql) {
    dir_.Write("migrations/" + name, sql);
  }
  TideRun Tide(std::vector<std::string> args) {
    args.insert(args.begin(), {"--url", url()});
    return RunTide(args, dir_.path());
  }
  void Customers(int rows) {
    Sql("CREATE TABLE customers (id bigserial PRIMARY KEY, name text NOT NULL, "
        "contact_info varchar(255))");
    Sql("INSERT INTO customers (name, contact_info) SELECT 'Customer ' || g, 'c' || g || "
        "'@example.com' FROM generate_series(1, " +
        std::to_string(rows) + ") g");
    Sql("ANALYZE customers");
    ASSERT_EQ(Tide({"baseline", "--version", "1"}).exit_code, 0);
  }
  nlohmann::json MigrateJson(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--json", "migrate"};
    args.insert(args.end(), extra.begin(), extra.end());
    TideRun r = Tide(args);
    EXPECT_EQ(r.exit_code, 0) << r.all();
    auto doc = nlohmann::json::parse(r.out, nullptr, false);
    return doc.is_discarded() ? nlohmann::json::object() : doc;
  }
  TempDir dir_;
};

const char* kSeedExpand =
    "ALTER TABLE customers ADD COLUMN email VARCHAR(255);\n"
    "UPDATE customers SET email = CONCAT(LOWER(REPLACE(name, ' ', '.')), '@legacy.example.com')\n"
    "WHERE email IS NULL;\n";
const char* kSeedContract =
    "ALTER TABLE customers ALTER COLUMN email SET NOT NULL;\n"
    "ALTER TABLE customers DROP COLUMN contact_info;\n"
    "CREATE INDEX idx_customers_email ON customers (email);\n";

// Writes like the old and new releases while a migration runs; counts failures.
class Writers {
 public:
  Writers(const std::string& url, int64_t max_id) {
    for (int t = 0; t < 2; ++t) {
      threads_.emplace_back([this, url, max_id, t] {
        auto conn = pg::Connection::Open(url, t == 0 ? "customer-api/1.0" : "customer-api/2.0");
        if (!conn.ok()) {
          ++failures;
          return;
        }
        std::mt19937_64 rng(t + 1);
        std::uniform_int_distribution<int64_t> pick(1, max_id);
        while (!stop_) {
          std::string id = std::to_string(pick(rng));
          Status st;
          if (t == 0) {  // old release: knows contact_info only
            st = conn->Run("UPDATE customers SET contact_info = 'v1.' || $1 WHERE id = $1::bigint",
                           {id});
            if (st.ok()) {
              st = conn->Run("INSERT INTO customers (name, contact_info) VALUES ('Old ' || $1, "
                             "'v1.new')",
                             {id});
            }
          } else {  // new release: writes email itself
            st = conn->Run("UPDATE customers SET email = 'v2.' || $1 || '@example.com' "
                           "WHERE id = $1::bigint",
                           {id});
            if (st.ok()) written_by_v2.push_back(id);
          }
          if (!st.ok()) {
            ++failures;
            first_error = st.error().ToString();
          }
        }
      });
    }
  }
  ~Writers() { Stop(); }
  void Stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  std::atomic<int> failures{0};
  std::string first_error;
  std::vector<std::string> written_by_v2;

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

TEST_F(DbExecutorTest, SeedExpandBackfillsInBatchesWhileBothReleasesWrite) {
  Customers(60000);
  Migration("V1.1__add_email_column.sql", kSeedExpand);
  // v2 needs the column before it can write; add it first as the real rollout would.
  Writers* writers = nullptr;
  std::thread starter([&] {
    if (WaitFor(url(), "SELECT count(*) > 0 FROM information_schema.columns WHERE "
                       "table_name = 'customers' AND column_name = 'email'")) {
      writers = new Writers(url(), 60000);
    }
  });
  auto doc = MigrateJson();
  starter.join();
  ASSERT_NE(writers, nullptr);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  writers->Stop();
  EXPECT_EQ(writers->failures, 0) << writers->first_error;
  const auto& steps = doc["applied"][0]["steps"];
  ASSERT_EQ(steps.size(), 2u) << doc.dump(2);
  EXPECT_EQ(steps[1]["kind"], "backfill");
  // Every pre-existing row is filled; nothing a v2 write set was overwritten with the legacy value.
  EXPECT_EQ(Value("SELECT count(*) FROM customers WHERE id <= 60000 AND email IS NULL"), "0");
  EXPECT_EQ(Value("SELECT count(*) FROM customers WHERE email LIKE 'v2.%' AND "
                  "email <> 'v2.' || id || '@example.com'"),
            "0");
  int checked = 0;
  for (const auto& id : writers->written_by_v2) {
    if (++checked > 200) break;
    EXPECT_EQ(Value("SELECT email FROM customers WHERE id = " + id),
              "v2." + id + "@example.com");
  }
  delete writers;
}

TEST_F(DbExecutorTest, KilledBackfillResumesAndAppliesEachRowExactlyOnce) {
  Sql("CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL DEFAULT 0)");
  Sql("INSERT INTO counters (id) SELECT g FROM generate_series(1, 200000) g");
  ASSERT_EQ(Tide({"baseline", "--version", "1"}).exit_code, 0);
  // Not idempotent: a batch applied twice would show as n = 2.
  Migration("V2__bump.sql", "UPDATE counters SET n = n + 1;\n");
  TideProcess run({"--url", url(), "migrate"}, dir_.path());
  ASSERT_TRUE(WaitFor(url(), "SELECT coalesce((checkpoint->>'visited')::int, 0) > 20000 "
                             "FROM tide_migration_state WHERE script = 'V2__bump.sql'"));
  run.Kill(SIGKILL);
  TideRun killed = run.Wait();
  EXPECT_EQ(killed.exit_code, -SIGKILL);
  EXPECT_EQ(Value("SELECT status FROM tide_migration_state WHERE script = 'V2__bump.sql'"),
            "running");
  int64_t done_before = std::stoll(Value("SELECT count(*) FROM counters WHERE n = 1"));
  EXPECT_GT(done_before, 0);
  EXPECT_LT(done_before, 200000);
  TideRun resumed = Tide({"migrate"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.all();
  EXPECT_NE(resumed.out.find("resuming"), std::string::npos) << resumed.out;
  EXPECT_EQ(Value("SELECT count(*) FROM counters WHERE n = 1"), "200000");
  EXPECT_EQ(Value("SELECT count(*) FROM counters WHERE n <> 1"), "0");
  EXPECT_EQ(Value("SELECT count(*) FROM flyway_schema_history WHERE script = 'V2__bump.sql'"),
            "1");
  EXPECT_EQ(Value("SELECT status FROM tide_migration_state WHERE script = 'V2__bump.sql'"),
            "done");
}

TEST_F(DbExecutorTest, SeedContractCatchesUpOldReleaseRowsAndLeavesNoHelper) {
  Customers(5000);
  Migration("V1.1__add_email_column.sql", kSeedExpand);
  ASSERT_EQ(Tide({"migrate"}).exit_code, 0);
  // The old release kept inserting rows without email after the backfill.
  Sql("INSERT INTO customers (name, contact_info) SELECT 'late ' || g, 'x' FROM "
      "generate_series(1, 300) g");
  Sql("UPDATE customers SET email = 'kept@v2' WHERE id = 7");
  Migration("V1.2__remove_contact_info_column.sql", kSeedContract);
  auto doc = MigrateJson();
  const auto& steps = doc["applied"][0]["steps"];
  ASSERT_EQ(steps.size(), 7u) << doc.dump(2);
  EXPECT_EQ(steps[0]["kind"], "backfill");
  EXPECT_EQ(steps[0]["rows"], 300);
  EXPECT_EQ(Value("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'customers'::regclass "
                  "AND attname = 'email'"),
            "t");
  EXPECT_EQ(Value("SELECT email FROM customers WHERE id = 7"), "kept@v2");
  EXPECT_EQ(Value("SELECT email FROM customers WHERE name = 'late 1'"),
            "late.1@legacy.example.com");
  EXPECT_EQ(Value("SELECT count(*) FROM pg_constraint WHERE conname LIKE 'tide_nn_%'"), "0");
  EXPECT_EQ(Value("SELECT indisvalid FROM pg_index WHERE indexrelid = "
                  "'idx_customers_email'::regclass"),
            "t");
}

TEST_F(DbExecutorTest, InvalidIndexLeftBehindIsDroppedAndRebuilt) {
  Customers(1000);
  Sql("UPDATE customers SET contact_info = 'same' WHERE id <= 2");
  // A failed concurrent build leaves an INVALID index under the name the migration wants.
  auto conn = Connect();
  auto failed = conn.Exec("CREATE UNIQUE INDEX CONCURRENTLY idx_contact ON customers "
                          "(contact_info)");
  ASSERT_FALSE(failed.ok());
  ASSERT_EQ(Value("SELECT indisvalid FROM pg_index WHERE indexrelid = 'idx_contact'::regclass"),
            "f");
  Migration("V2__index.sql", "CREATE INDEX idx_contact ON customers (contact_info);\n");
  TideRun r = Tide({"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.all().find("invalid index"), std::string::npos) << r.all();
  EXPECT_EQ(Value("SELECT indisvalid FROM pg_index WHERE indexrelid = 'idx_contact'::regclass"),
            "t");
  EXPECT_EQ(Value("SELECT indisunique FROM pg_index WHERE indexrelid = 'idx_contact'::regclass"),
            "f");
}

TEST_F(DbExecutorTest, FailedUniqueBuildLeavesNoInvalidIndexAndResumesAfterTheFix) {
  Customers(1000);
  Sql("UPDATE customers SET contact_info = 'dup' WHERE id IN (5, 6)");
  Migration("V2__score.sql", "ALTER TABLE customers ADD COLUMN score int NOT NULL DEFAULT 0;\n");
  ASSERT_EQ(Tide({"migrate"}).exit_code, 0);
  // Not idempotent: if the resumed run repeated the backfill, scores would be 2.
  Migration("V3__unique.sql",
            "UPDATE customers SET score = score + 1;\n"
            "\n"
            "CREATE UNIQUE INDEX idx_unique_contact ON customers (contact_info);\n");
  TideRun r = Tide({"migrate"});
  ASSERT_EQ(r.exit_code, 1) << r.all();
  EXPECT_NE(r.err.find("V3__unique.sql:3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("duplicates"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("resume"), std::string::npos) << r.err;
  EXPECT_EQ(Value("SELECT count(*) FROM pg_class WHERE relname = 'idx_unique_contact'"), "0");
  // Flyway sees a failed migration; tide sees where it stopped.
  EXPECT_EQ(Value("SELECT success FROM flyway_schema_history WHERE version = '3'"), "f");
  EXPECT_EQ(Value("SELECT next_step FROM tide_migration_state WHERE script = 'V3__unique.sql'"),
            "1");
  TideRun info = Tide({"info"});
  EXPECT_NE(info.out.find("Failed at step 2/2 (resumable)"), std::string::npos) << info.out;
  Sql("UPDATE customers SET contact_info = 'fixed' WHERE id = 6");
  r = Tide({"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("resuming at step 2 of 2"), std::string::npos) << r.out;
  EXPECT_EQ(Value("SELECT count(*) FROM flyway_schema_history WHERE version = '3'"), "1");
  EXPECT_EQ(Value("SELECT success FROM flyway_schema_history WHERE version = '3'"), "t");
  EXPECT_EQ(Value("SELECT count(*) FROM customers WHERE score = 1"), "1000");
}

TEST_F(DbExecutorTest, UnsafeStatementIsRefusedBeforeAnythingRunsUnlessAllowed) {
  Customers(1000);
  Migration("V2__ok.sql", "ALTER TABLE customers ADD COLUMN note text;\n");
  Migration("V3__widen.sql", "-- widen the key\nALTER TABLE customers ALTER COLUMN id TYPE numeric;\n");
  TideRun r = Tide({"migrate"});
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.err.find("V3__widen.sql:2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("rewrite-column-type"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ACCESS EXCLUSIVE"), std::string::npos) << r.err;
  // Not even V2, which was safe, ran.
  EXPECT_EQ(Value("SELECT count(*) FROM information_schema.columns WHERE column_name = 'note'"),
            "0");
  Migration("V3__widen.sql",
            "-- tide:allow rewrite-column-type the table is small in every environment\n"
            "ALTER TABLE customers ALTER COLUMN id TYPE numeric;\n");
  r = Tide({"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(Value("SELECT data_type FROM information_schema.columns WHERE table_name = "
                  "'customers' AND column_name = 'id'"),
            "numeric");
}

TEST_F(DbExecutorTest, WaitsOutsideTheLockQueueWhileALongTransactionHoldsTheTable) {
  Customers(1000);
  Migration("V2__add.sql", "ALTER TABLE customers ADD COLUMN note text;\n");
  auto holder = Connect("report-job");
  ASSERT_TRUE(holder.Exec("BEGIN; SELECT count(*) FROM customers").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // an old transaction now
  TideProcess run({"--url", url(), "migrate"}, dir_.path());
  // The application keeps reading: no query may wait behind tide's lock request.
  auto app = Connect("customer-api/1.0");
  double worst_ms = 0;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  while (std::chrono::steady_clock::now() < until) {
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(app.Exec("SELECT name FROM customers WHERE id = 5").ok());
    worst_ms = std::max(worst_ms, std::chrono::duration<double, std::milli>(
                                      std::chrono::steady_clock::now() - t0)
                                      .count());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(run.Running());
  ASSERT_TRUE(holder.Exec("COMMIT").ok());
  TideRun r = run.Wait();
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("waiting, not queueing"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("report-job"), std::string::npos) << r.out;
  EXPECT_LT(worst_ms, 150.0);  // the lock timeout is 200 ms; tide did not even queue
}

TEST_F(DbExecutorTest, GivesUpWithTheBlockerNamedWhenTheBudgetRunsOut) {
  Customers(1000);
  Migration("V2__add.sql", "ALTER TABLE customers ADD COLUMN note text;\n");
  auto holder = Connect("stuck-report");
  ASSERT_TRUE(holder.Exec("BEGIN; SELECT count(*) FROM customers").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  TideRun r = Tide({"--lock-wait", "1s", "migrate"});
  EXPECT_EQ(r.exit_code, 1) << r.all();
  EXPECT_NE(r.err.find("gave up"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("stuck-report"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nothing of it was applied"), std::string::npos) << r.err;
  ASSERT_TRUE(holder.Exec("COMMIT").ok());
  EXPECT_EQ(Value("SELECT count(*) FROM information_schema.columns WHERE column_name = 'note'"),
            "0");
  EXPECT_EQ(Tide({"migrate"}).exit_code, 0);
}

TEST_F(DbExecutorTest, ConstraintRewritesEndWhereAPlainRunEnds) {
  // The same files, run by tide on one database and plainly on another, give the same schema,
  // names included (pg_dump --schema-only), and the same rows.
  const char* setup =
      "CREATE TABLE customers (id bigserial PRIMARY KEY, name text NOT NULL, "
      "contact_info varchar(255));\n"
      "CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint, qty int);\n"
      "INSERT INTO customers (name, contact_info) SELECT 'c' || g, 'c' || g || '@x' FROM "
      "generate_series(1, 3000) g;\n"
      "INSERT INTO orders (customer_id, qty) SELECT 1 + g % 3000, 1 + g % 5 FROM "
      "generate_series(1, 3000) g;\n";
  const char* change =
      "ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers (id);\n"
      "ALTER TABLE orders ADD CHECK (qty > 0), ADD CONSTRAINT qty_small CHECK (qty < 100);\n"
      "ALTER TABLE customers ADD UNIQUE (contact_info);\n"
      "ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL;\n"
      "CREATE INDEX ON orders (qty);\n"
      "ALTER TABLE customers ALTER COLUMN contact_info TYPE varchar(500);\n"
      "UPDATE orders SET qty = qty + 1;\n";
  Sql(setup);
  ASSERT_EQ(Tide({"baseline", "--version", "1"}).exit_code, 0);
  Migration("V2__constraints.sql", change);
  auto doc = MigrateJson();
  std::vector<std::string> kinds;
  for (const auto& s : doc["applied"][0]["steps"]) kinds.push_back(s["kind"]);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "validate_constraint"), kinds.end());
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "create_index_concurrently"), kinds.end());
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "backfill"), kinds.end());

  // The plain twin.
  auto admin = pg::Connection::Open(SharedCluster().SocketUrl());
  ASSERT_TRUE(admin.ok());
  std::string twin = dbname() + "_plain";
  ASSERT_TRUE(admin->Exec("CREATE DATABASE " + twin).ok());
  std::string twin_url = SharedCluster().SocketUrl(twin);
  {
    auto t = pg::Connection::Open(twin_url);
    ASSERT_TRUE(t.ok());
    ASSERT_TRUE(t->Exec(setup).ok());
    ASSERT_TRUE(t->Exec(std::string("BEGIN;") + change + "COMMIT;").ok());
  }
  auto bindir = pg::FindServerBinDir();
  ASSERT_TRUE(bindir.ok());
  auto dump = [&](const std::string& u) {
    auto r = RunCommand({*bindir + "/pg_dump", "--schema-only", "--no-owner",
                         "--exclude-table=flyway_schema_history",
                         "--exclude-table=tide_*", "-d", u});
    EXPECT_TRUE(r.ok() && r->ok()) << (r.ok() ? r->output : r.error().ToString());
    std::string out;
    // pg_dump marks its output with a random \restrict key; the rest must match.
    for (const auto& line : Split(r.ok() ? r->output : "", '\n')) {
      if (line.rfind("\\restrict", 0) != 0 && line.rfind("\\unrestrict", 0) != 0) {
        out += line + "\n";
      }
    }
    return out;
  };
  std::string ours = dump(url()), theirs = dump(twin_url);
  EXPECT_FALSE(ours.empty());
  EXPECT_EQ(ours, theirs);
  auto rows = [&](const std::string& u) {
    auto c = pg::Connection::Open(u);
    return c->QueryValue("SELECT md5(string_agg(o::text, ',' ORDER BY id)) FROM orders o")
        .value()
        .value_or("");
  };
  EXPECT_EQ(rows(url()), rows(twin_url));
  (void)admin->Exec("DROP DATABASE " + twin + " WITH (FORCE)");
}

}  // namespace
}  // namespace tide::testing
