// Secrets: a password given in --url, TIDE_URL, tide.toml, PGPASSWORD, a key=value conninfo,
// flyway.conf or -Dflyway.password never appears in anything tide prints (text or JSON, success
// or failure: a wrong password, a wrong database, a malformed URL), in the history or state
// rows it writes, or in any file it leaves. The server really checks the password (SCRAM over
// TCP), so the runs that succeed prove it was used.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "customers_cycle.h"
#include "harness.h"

namespace tide::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPassword = "Tide-Pw-9f2c4e";

class DbSecretsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    fs::permissions(dir_->path(), fs::perms::others_exec, fs::perm_options::add);
    pg::ClusterOptions options;
    options.dir = dir_->path() / "cluster";
    options.settings = {"password_encryption = 'scram-sha-256'"};
    auto made = pg::LocalCluster::Create(options);
    ASSERT_TRUE(made.ok()) << made.error().ToString();
    cluster_ = new pg::LocalCluster(std::move(made).value());
    // The socket stays trusted for the test's own admin work; TCP needs the password.
    std::ofstream(cluster_->data_dir() / "pg_hba.conf", std::ios::trunc)
        << "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n";
    auto admin = pg::Connection::Open(cluster_->SocketUrl(), "tide-test-admin");
    ASSERT_TRUE(admin.ok());
    ASSERT_TRUE(admin
                    ->Exec(std::string("CREATE ROLE app_owner LOGIN CREATEDB PASSWORD '") +
                           kPassword + "'; SELECT pg_reload_conf()")
                    .ok());
  }
  static void TearDownTestSuite() {
    if (cluster_) (void)cluster_->Destroy();
    delete cluster_;
    delete dir_;
  }
  void SetUp() override {
    db_ = UniqueName("tide_secrets");
    auto admin = pg::Connection::Open(cluster_->SocketUrl(), "tide-test-admin");
    ASSERT_TRUE(admin.ok());
    ASSERT_TRUE(admin->Exec("CREATE DATABASE " + db_ + " OWNER app_owner").ok());
    fs::copy(CustomersMigrations(), work_.path() / "migrations");
  }
  std::string Uri(const std::string& password, const std::string& db = "") const {
    return "postgresql://app_owner" + (password.empty() ? "" : ":" + password) +
           "@127.0.0.1:" + std::to_string(cluster_->port()) + "/" + (db.empty() ? db_ : db);
  }
  std::string Jdbc(const std::string& db = "") const {
    return "jdbc:postgresql://127.0.0.1:" + std::to_string(cluster_->port()) + "/" +
           (db.empty() ? db_ : db);
  }
  // Runs tide and checks that nothing it printed holds the password (or a wrong one tried).
  TideRun Run(std::vector<std::string> args, std::vector<std::string> env = {}) {
    env.insert(env.begin(), "TIDE_URL=");  // only what the case gives (a later entry wins)
    TideRun r = RunTide(args, work_.path(), env);
    for (const std::string& secret : {std::string(kPassword), std::string("Wrong-") + kPassword}) {
      EXPECT_EQ(r.out.find(secret), std::string::npos) << Join(args) << "\n" << r.out;
      EXPECT_EQ(r.err.find(secret), std::string::npos) << Join(args) << "\n" << r.err;
    }
    return r;
  }
  static std::string Join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += s + " ";
    return out;
  }
  // Every command, in text and JSON, on a database that needs the password.
  void EveryCommand(const std::vector<std::string>& global, const std::vector<std::string>& env) {
    auto with = [&](std::vector<std::string> rest) {
      std::vector<std::string> args = global;
      args.insert(args.end(), rest.begin(), rest.end());
      return args;
    };
    for (auto rest : std::vector<std::vector<std::string>>{{"info", "--sources"},
                                                           {"--json", "info", "--sources"},
                                                           {"info"},
                                                           {"validate"},
                                                           {"plan"},
                                                           {"migrate", "--target", "1.1"},
                                                           {"--json", "migrate"},
                                                           {"--json", "info"},
                                                           {"migrate", "--dry-run"}}) {
      TideRun r = Run(with(rest), env);
      EXPECT_EQ(r.exit_code, 0) << Join(with(rest)) << "\n" << r.all();
    }
  }
  void ExpectNothingStoredHoldsThePassword() {
    auto conn = pg::Connection::Open(cluster_->SocketUrl(db_), "tide-test");
    ASSERT_TRUE(conn.ok());
    for (const char* table : {"flyway_schema_history", "tide_migration_state"}) {
      auto v = conn->QueryValue(
          std::string("SELECT count(*) FROM ") + table + " t WHERE t::text LIKE $1",
          {std::string("%") + kPassword + "%"});
      ASSERT_TRUE(v.ok()) << v.error().ToString();
      EXPECT_EQ(**v, "0") << table;
    }
    EXPECT_EQ(**conn->QueryValue("SELECT count(*) FROM flyway_schema_history"), "3");
    // Files tide may have written in the project (the settings files written by the test aside).
    for (const auto& e : fs::recursive_directory_iterator(work_.path())) {
      std::string name = e.path().filename().string();
      if (!e.is_regular_file() || name == "tide.toml" || name == "flyway.conf") continue;
      std::ifstream in(e.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      EXPECT_EQ(ss.str().find(kPassword), std::string::npos) << e.path();
    }
  }
  // Failures print what went wrong without the password: wrong password, missing database,
  // a URL libpq cannot parse.
  void Failures(const std::vector<std::vector<std::string>>& cases) {
    for (const auto& args : cases) {
      TideRun r = Run(args);
      EXPECT_NE(r.exit_code, 0) << Join(args);
      EXPECT_FALSE(r.err.empty()) << Join(args);
    }
  }

  static TempDir* dir_;
  static pg::LocalCluster* cluster_;
  TempDir work_;
  std::string db_;
};

TempDir* DbSecretsTest::dir_ = nullptr;
pg::LocalCluster* DbSecretsTest::cluster_ = nullptr;

TEST_F(DbSecretsTest, PasswordInUrlFlag) {
  // The server does check it: without it, no connection.
  TideRun none = Run({"--url", Uri(""), "info"});
  EXPECT_EQ(none.exit_code, 1) << none.all();
  EXPECT_NE(none.err.find("password"), std::string::npos) << none.err;
  EveryCommand({"--url", Uri(kPassword)}, {});
  ExpectNothingStoredHoldsThePassword();
  Failures(
      {{"--url", Uri(std::string("Wrong-") + kPassword), "info"},
       {"--url", Uri(kPassword, "no_such_db"), "info"},
       {"--json", "--url", Uri(kPassword, "no_such_db"), "migrate"},
       {"--url", Uri(kPassword) + "?bogus_option=1", "info"},
       {"--json", "--url", Uri(kPassword) + "?sslmode=nonsense", "info"},
       {"--url", "postgresql://app_owner:" + std::string(kPassword) + "@127.0.0.1:port/x", "info"},
       {"--url", std::string("host=127.0.0.1 password='") + kPassword, "info"},
       {"--url", std::string("host=127.0.0.1 password=") + kPassword + " bogus=1", "info"}});
}

TEST_F(DbSecretsTest, PasswordInTideUrlVariable) {
  EveryCommand({}, {"TIDE_URL=" + Uri(kPassword)});
  ExpectNothingStoredHoldsThePassword();
}

TEST_F(DbSecretsTest, PasswordInTideToml) {
  work_.Write("tide.toml", "url = \"" + Uri(kPassword) + "\"\n");
  EveryCommand({}, {});
  ExpectNothingStoredHoldsThePassword();
  work_.Write("tide.toml", "url = \"" + Uri(kPassword) + "\"\nlock_timeout = \"soon\"\n");
  Failures({{"info"}, {"--json", "migrate"}});
}

TEST_F(DbSecretsTest, PasswordInPgpasswordAndKeyValueConninfo) {
  EveryCommand({"--url", Uri("")}, {std::string("PGPASSWORD=") + kPassword});
  std::string kv = "host=127.0.0.1 port=" + std::to_string(cluster_->port()) + " dbname=" + db_ +
                   " user=app_owner password=" + kPassword;
  EveryCommand({"--url", kv}, {});
  ExpectNothingStoredHoldsThePassword();
  Failures({{"--url", kv + " sslmode=nonsense", "info"},
            {"--url", kv + " dbname=no_such_db", "info"},
            {"--url",
             "host=127.0.0.1 port=" + std::to_string(cluster_->port()) +
                 " user=app_owner password='Wrong-" + kPassword + "'",
             "info"}});
}

TEST_F(DbSecretsTest, PasswordInFlywayConfAndDefines) {
  work_.Write("flyway.conf", "flyway.url=" + Jdbc() +
                                 "\nflyway.user=app_owner\nflyway.password=" + kPassword + "\n");
  EveryCommand({}, {});
  ExpectNothingStoredHoldsThePassword();
  fs::remove(work_.path() / "flyway.conf");
  EveryCommand({"-Dflyway.url=" + Jdbc(), "-Dflyway.user=app_owner",
                std::string("-Dflyway.password=") + kPassword},
               {});
  Failures({{"-Dflyway.url=" + Jdbc("no_such_db"), "-Dflyway.user=app_owner",
             std::string("-Dflyway.password=") + kPassword, "info"},
            {"-Dflyway.url=" + Jdbc() + "?password=Wrong-" + kPassword, "-Dflyway.user=app_owner",
             "info"},
            {"-Dflyway.url=" + Jdbc() + "?sslmode=nonsense&unknownProp=x",
             "-Dflyway.user=app_owner", std::string("-Dflyway.password=") + kPassword, "info"}});
}

}  // namespace
}  // namespace tide::testing
