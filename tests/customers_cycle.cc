#include "customers_cycle.h"

#include "base/strings.h"

namespace tide::testing {

namespace fs = std::filesystem;

CustomersCycle::CustomersCycle(const std::string& extra_toml, const std::string& backfill_toml) {
  fs::copy(CustomersMigrations(), dir_.path() / "migrations");
  dir_.Write("tide.toml", "locations = [\"migrations\"]\n"
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
  Run(url, "INSERT INTO customers (name, contact_info) SELECT 'Customer ' || g, 'c' || g || "
           "'@example.com' FROM generate_series(1, " + std::to_string(kSeedRows) + ") g;"
           "ANALYZE customers");
}

void CustomersCycle::OldReleaseWrites(const std::string& url) {
  Run(url, "INSERT INTO customers (name, contact_info) SELECT 'Late ' || g, 'late' || g || "
           "'@example.com' FROM generate_series(1, " + std::to_string(kLateRows) + ") g;"
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
  if (admin.ok()) (void)admin->Exec("DROP DATABASE IF EXISTS " + QuoteIdent(name) + " WITH (FORCE)");
}

std::string DatabaseUrl(const std::string& name) { return SharedCluster().SocketUrl(name); }

}  // namespace tide::testing
