// Behind a real PgBouncer in transaction mode, under pgbench load: tide refuses before changing
// anything (no history table, no session setting left on a pooled server session, no advisory
// lock held); with --direct-url it works over the server itself, and two concurrent runs never
// both apply a file. A session-mode pooler is not refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "harness.h"
#include "pgbouncer.h"

namespace tide::testing {
namespace {

namespace fs = std::filesystem;

class DbPoolerTest : public DbTest {
 protected:
  void StartPooler(const std::string& mode) {
    PgBouncerOptions options;
    options.pool_mode = mode;
    auto bouncer = PgBouncer::Start(SharedCluster(), options);
    ASSERT_TRUE(bouncer.ok()) << bouncer.error().ToString();
    bouncer_ = std::move(bouncer).value();
    pooled_ = bouncer_->Url(dbname());
    fs::copy(CustomersMigrations(), dir_.path() / "migrations");
  }
  TideRun Tide(std::vector<std::string> args) { return RunTide(args, dir_.path()); }
  // Every server session of the pool at once (each client holds one in its transaction): the
  // settings each of them carries.
  std::vector<std::string> PooledSettings() {
    std::vector<pg::Connection> clients;
    std::vector<std::string> out;
    for (int i = 0; i < 5; ++i) {
      auto c = pg::Connection::Open(pooled_);
      EXPECT_TRUE(c.ok()) << c.error().ToString();
      if (!c.ok()) return out;
      EXPECT_TRUE(c->Run("BEGIN").ok());
      auto v = c->QueryValue(
          "SELECT current_setting('lock_timeout') || ' ' || "
          "current_setting('search_path') || ' ' || "
          "current_setting('statement_timeout')");
      out.push_back(v.ok() ? v->value_or("") : v.error().ToString());
      clients.push_back(std::move(c).value());
    }
    for (auto& c : clients) (void)c.Run("COMMIT");
    return out;
  }
  std::string AdvisoryLocks() {
    return Value(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database())");
  }
  std::unique_ptr<PgBouncer> bouncer_;
  std::string pooled_;
  TempDir dir_;
};

// pgbench through the pooler for `seconds`, in the background.
class Load {
 public:
  Load(const PgBouncer& bouncer, const std::string& dbname, int seconds) {
    auto bindir = pg::FindServerBinDir();
    EXPECT_TRUE(bindir.ok());
    std::string pgbench = *bindir + "/pgbench";
    auto init = RunCommand({pgbench, "-i", "-q", "-s", "1", "-h", "127.0.0.1", "-p",
                            std::to_string(bouncer.port()), "-U", "postgres", dbname});
    EXPECT_TRUE(init.ok() && init->ok()) << (init.ok() ? init->output : "");
    std::string port = std::to_string(bouncer.port());
    thread_ = std::thread([this, pgbench, port, dbname, seconds] {
      auto r = RunCommand({pgbench, "-n", "-c", "4", "-T", std::to_string(seconds), "-h",
                           "127.0.0.1", "-p", port, "-U", "postgres", dbname});
      if (r.ok()) output_ = r->output;
    });
  }
  ~Load() { Join(); }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  const std::string& output() const { return output_; }

 private:
  std::thread thread_;
  std::string output_;
};

TEST_F(DbPoolerTest, TransactionPoolerIsRefusedBeforeAnythingChangesAndDirectUrlWorks) {
  StartPooler("transaction");
  ASSERT_TRUE(bouncer_ != nullptr);
  std::vector<std::string> clean = PooledSettings();
  ASSERT_EQ(clean.size(), 5u);
  Load load(*bouncer_, dbname(), 12);
  TideRun r = Tide({"--url", pooled_, "--schema", "public", "migrate"});
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.err.find("connection pooler in transaction mode"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--direct-url"), std::string::npos) << r.err;
  EXPECT_EQ(Value("SELECT to_regclass('flyway_schema_history') IS NULL"), "t");
  EXPECT_EQ(Value("SELECT to_regclass('customers') IS NULL"), "t");
  EXPECT_EQ(AdvisoryLocks(), "0");
  EXPECT_EQ(PooledSettings(), clean);
  // Every command connects the same way: info too.
  EXPECT_EQ(Tide({"--url", pooled_, "info"}).exit_code, 2);
  // A --direct-url that is the pooler again is refused the same way.
  r = Tide({"--url", pooled_, "--direct-url", pooled_, "expand"});
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.err.find("--direct-url user=postgres dbname=" + dbname()), std::string::npos) << r.err;
  EXPECT_EQ(Value("SELECT to_regclass('flyway_schema_history') IS NULL"), "t");

  // Over the server itself, two runs at once: one applies, the other waits and finds nothing.
  // (On this empty database V1.2 only trims the table V1 creates in the same run, so it is
  // neutral and expand applies it too: no running release can use that table yet.)
  std::vector<std::string> args = {"--url", pooled_, "--direct-url", url(), "expand"};
  TideProcess first(args, dir_.path());
  TideProcess second(args, dir_.path());
  TideRun a = first.Wait();
  TideRun b = second.Wait();
  ASSERT_EQ(a.exit_code, 0) << a.all();
  ASSERT_EQ(b.exit_code, 0) << b.all();
  int applied = (a.out.find("Applied ") != std::string::npos) +
                (b.out.find("Applied ") != std::string::npos);
  EXPECT_EQ(applied, 1) << a.out << "\n---\n" << b.out;
  EXPECT_EQ(Value("SELECT count(*) FROM flyway_schema_history WHERE version IN ('1', '1.1')"), "2");
  EXPECT_EQ(Value("SELECT count(*) FROM flyway_schema_history GROUP BY version "
                  "ORDER BY count(*) DESC LIMIT 1"),
            "1");
  EXPECT_EQ(AdvisoryLocks(), "0");
  EXPECT_EQ(PooledSettings(), clean);
  load.Join();
  EXPECT_NE(load.output().find("number of transactions actually processed"), std::string::npos)
      << load.output();
}

// An old-release client idle between transactions holds no server session, so only the pooler's
// admin console shows it. PgBouncer also leaves the last client's application_name on the server
// session it took back, so pg_stat_activity shows that name after the client is gone: the gate
// reads pooled server sessions through the pooler's clients, and passes once the client left.
TEST_F(DbPoolerTest, TheGateSeesAnIdlePooledClientThroughTheAdminConsole) {
  StartPooler("transaction");
  ASSERT_TRUE(bouncer_ != nullptr);
  ASSERT_EQ(Tide({"--url", pooled_, "--direct-url", url(), "expand", "--target", "1.1"}).exit_code,
            0);
  auto old_client = pg::Connection::Open(pooled_, "customer-api/1.0");
  ASSERT_TRUE(old_client.ok()) << old_client.error().ToString();
  ASSERT_TRUE(old_client->Run("SELECT 1").ok());
  // Between transactions: no server session works for it.
  EXPECT_EQ(Value("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                  "'customer-api/1.0' AND state <> 'idle'"),
            "0");
  std::vector<std::string> gate = {"--url", pooled_,        "--direct-url", url(), "verify",
                                   "--app", "customer-api", "--version",    "2.0"};
  // No admin console: the gate says it cannot see idle pooled clients, and refuses.
  TideRun r = Tide(gate);
  EXPECT_EQ(r.exit_code, 3) << r.all();
  EXPECT_NE(r.err.find("cannot see the clients idle"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--pooler-admin-url"), std::string::npos) << r.err;
  std::vector<std::string> waived = gate;
  waived.insert(waived.end(), {"--skip-pooler-clients", "no app instance uses the pooler"});
  r = Tide(waived);
  // Waived, the stale name on the returned server session still counts (on the safe side).
  EXPECT_EQ(r.exit_code, 3) << r.all();
  EXPECT_NE(r.out.find("waived: no app instance uses the pooler"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("cannot see the clients idle"), std::string::npos) << r.err;

  // The admin console, from tide.toml: the idle client is named, a contract refused.
  std::ofstream(dir_.path() / "tide.toml")
      << "[gate]\npooler_admin_urls = [\"" << bouncer_->AdminUrl() << "\"]\n";
  r = Tide(gate);
  EXPECT_EQ(r.exit_code, 3) << r.all();
  EXPECT_NE(r.err.find("customer-api/1.0"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pooler user=postgres dbname=pgbouncer"), std::string::npos) << r.err;
  std::string applied = Value("SELECT count(*) FROM flyway_schema_history");
  r = Tide({"--url", pooled_, "--direct-url", url(), "contract", "--app", "customer-api",
            "--version", "2.0"});
  EXPECT_EQ(r.exit_code, 3) << r.all();
  EXPECT_NE(r.err.find("customer-api/1.0"), std::string::npos) << r.err;
  EXPECT_EQ(Value("SELECT count(*) FROM flyway_schema_history"), applied);

  // The old client leaves and a new one connects (and has not run anything yet): the server
  // session still carries the old name, and the gate passes.
  old_client = pg::Connection::Open(pooled_, "customer-api/2.0");
  ASSERT_TRUE(old_client.ok());
  EXPECT_EQ(Value("SELECT count(*) > 0 FROM pg_stat_activity WHERE application_name = "
                  "'customer-api/1.0'"),
            "t");
  gate.insert(gate.end(), {"--pooler-admin-url", bouncer_->AdminUrl()});
  r = Tide(gate);
  EXPECT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("1 client of 1 pooler listed"), std::string::npos) << r.out;
  // A client of another database behind the same pooler is not this database's.
  auto other = pg::Connection::Open(bouncer_->Url("postgres"), "customer-api/0.9");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(Tide(gate).exit_code, 0);
}

TEST_F(DbPoolerTest, SessionPoolerIsNotRefused) {
  StartPooler("session");
  ASSERT_TRUE(bouncer_ != nullptr);
  TideRun r = Tide({"--url", pooled_, "migrate", "--target", "1.1"});
  EXPECT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(Value("SELECT count(*) FROM flyway_schema_history"), "2");
  EXPECT_EQ(AdvisoryLocks(), "0");
}

}  // namespace
}  // namespace tide::testing
