#include "customers_cycle.h"

#include <unistd.h>

#include <atomic>

#include "base/strings.h"

namespace tide::testing {

namespace fs = std::filesystem;

CustomersCycle::CustomersCycle(const std::string& extra_toml, const std::string& backfill_toml) {
  fs::copy(CustomersMigrations(), dir_.path() / "migrations");
  dir_.Write("tide.toml",
             "locations = [\"migrations\"]\n"
             "lock_timeout = \"200ms\"\n"
             "lock_wait = \"30s\"\n" +
                 extra_toml +
                 "\n[backfill]\n"
                 "small_table_rows = 100\n"
                 "target_batch = \"20ms\"\n"
                 "min_batch = 50\n"
                 "max_batch = 100\n" +
                 backfill_toml);
}

std::vector<std::string> CustomersCycle::MigrateArgs(const std::string& url,
                                                     const std::string& target) const {
  return {"--url", url, "migrate", "--target", target};
}

TideRun CustomersCycle::Migrate(const std::string& url, const std::string& target,
                                const std::vector<std::string>& env) const {
  return RunTide(MigrateArgs(url, target), dir_.path(), env);
}

namespace {
void Run(const std::string& url, const std::string& sql) {
  auto conn = pg::Connection::Open(url, "tide-test");
  ASSERT_TRUE(conn.ok()) << conn.error().ToString();
  auto r = conn->Exec(sql);
  ASSERT_TRUE(r.ok()) << sql << ": " << r.error().ToString();
}
}  // namespace

void CustomersCycle::Seed(const std::string& url) {
  Run(url,
      "INSERT INTO customers (name, contact_info) SELECT 'Customer ' || g, 'c' || g || "
      "'@example.com' FROM generate_series(1, " +
          std::to_string(kSeedRows) +
          ") g;"
          "ANALYZE customers");
}

void CustomersCycle::OldReleaseWrites(const std::string& url) {
  // Explicit keys: after a crash PostgreSQL's sequences skip values they had logged ahead, and
  // the comparison with an uninterrupted run is about tide's work, not the sequence's.
  Run(url, "INSERT INTO customers (id, name, contact_info) SELECT " + std::to_string(kSeedRows) +
               " + g, 'Late ' || g, 'late' || g || '@example.com' FROM generate_series(1, " +
               std::to_string(kLateRows) +
               ") g;"
               "UPDATE customers SET contact_info = 'edited' WHERE id % 97 = 0");
}

void CustomersCycle::RunAll(const std::string& url) const {
  TideRun r = Migrate(url, "1");
  ASSERT_EQ(r.exit_code, 0) << r.all();
  Seed(url);
  r = Migrate(url, "1.1");
  ASSERT_EQ(r.exit_code, 0) << r.all();
  OldReleaseWrites(url);
  r = Migrate(url, "latest");
  ASSERT_EQ(r.exit_code, 0) << r.all();
}

void CreateDatabase(const std::string& name, const std::string& template_db) {
  auto admin = pg::Connection::Open(SharedCluster().SocketUrl(), "tide-test-admin");
  ASSERT_TRUE(admin.ok()) << admin.error().ToString();
  std::string sql = "CREATE DATABASE " + QuoteIdent(name);
  if (!template_db.empty()) sql += " TEMPLATE " + QuoteIdent(template_db);
  auto r = admin->Exec(sql);
  ASSERT_TRUE(r.ok()) << sql << ": " << r.error().ToString();
}

void DropDatabase(const std::string& name) {
  auto admin = pg::Connection::Open(SharedCluster().SocketUrl(), "tide-test-admin");
  if (admin.ok())
    (void)admin->Exec("DROP DATABASE IF EXISTS " + QuoteIdent(name) + " WITH (FORCE)");
}

std::string UniqueName(const std::string& stem) {
  static std::atomic<int> counter{0};
  return stem + "_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
}

const CustomersRef& CustomersReference() {
  static CustomersRef* ref = [] {
    auto* r = new CustomersRef;
    r->template_db = UniqueName("tide_customers_tpl");
    CreateDatabase(r->template_db);
    CustomersCycle cycle;
    std::string url = DatabaseUrl(r->template_db);
    TideRun run = cycle.Migrate(url, "1");
    EXPECT_EQ(run.exit_code, 0) << run.all();
    CustomersCycle::Seed(url);
    std::string copy = UniqueName("tide_customers_ref");
    CreateDatabase(copy, r->template_db);
    std::string copy_url = DatabaseUrl(copy);
    run = cycle.Migrate(copy_url, "1.1");
    EXPECT_EQ(run.exit_code, 0) << run.all();
    CustomersCycle::OldReleaseWrites(copy_url);
    run = cycle.Migrate(copy_url, "latest");
    EXPECT_EQ(run.exit_code, 0) << run.all();
    r->want = TakeFingerprint(copy_url);
    DropDatabase(copy);
    return r;
  }();
  return *ref;
}

std::string DatabaseUrl(const std::string& name) { return SharedCluster().SocketUrl(name); }

}  // namespace tide::testing
