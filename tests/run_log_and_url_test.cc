// Two promises of the README checked from outside: a bad port or sslmode, wherever it is set,
// is bad input (exit 2, before any connection); and a run that was killed does not stay
// 'running' in tide_run_log forever.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "harness.h"

namespace tide::testing {
namespace {

struct BadUrl {
  const char* name;
  const char* file;     // written in the project folder ("" for none)
  const char* content;  // its text
  std::vector<std::string> args;
  std::vector<std::string> env;
  const char* says;  // what the message must name
};

TEST(CliBadConnectionSettings, PortAndSslmodeAreBadInputWhereverTheyAreSet) {
  const BadUrl cases[] = {
      {"UriPortTooBig", "", "", {"--url", "postgresql://app@127.0.0.1:99999/app"}, {}, "99999"},
      {"UriPortNotANumber", "", "", {"--url", "postgresql://app@127.0.0.1:54x2/app"}, {}, "54x2"},
      {"KeyValuePort", "", "", {"--url", "host=127.0.0.1 port=abc dbname=app"}, {}, "abc"},
      {"KeyValuePortZero", "", "", {"--url", "host=127.0.0.1 port=0 dbname=app"}, {}, "'0'"},
      {"UriSslmode", "", "", {"--url", "postgresql://127.0.0.1/app?sslmode=requir"}, {}, "requir"},
      {"KeyValueSslmode", "", "", {"--url", "host=127.0.0.1 sslmode=on"}, {}, "'on'"},
      {"TomlUrl", "tide.toml", "url = \"postgresql://127.0.0.1:70000/app\"\n", {}, {}, "70000"},
      {"FlywayJdbcSslmode",
       "flyway.conf",
       "flyway.url=jdbc:postgresql://127.0.0.1:5432/app?sslmode=strict\n",
       {},
       {},
       "strict"},
      {"FlywayJdbcPort",
       "flyway.conf",
       "flyway.url=jdbc:postgresql://127.0.0.1:65536/app\n",
       {},
       {},
       "65536"},
      {"EnvTideUrl", "", "", {}, {"TIDE_URL=postgresql://127.0.0.1:0/app"}, "'0'"},
      {"EnvPgport", "", "", {"--url", "host=127.0.0.1 dbname=app"}, {"PGPORT=5432x"}, "PGPORT"},
      {"EnvPgsslmode",
       "",
       "",
       {"--url", "host=127.0.0.1 dbname=app"},
       {"PGSSLMODE=yes"},
       "PGSSLMODE"},
      {"StandbyUrl",
       "tide.toml",
       "url = \"postgresql://127.0.0.1/app\"\n[gate]\nstandby_urls = "
       "[\"postgresql://127.0.0.1:123456/app\"]\n",
       {},
       {},
       "123456"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    if (*c.file) dir.Write(c.file, c.content);
    for (const char* command : {"info", "migrate"}) {
      std::vector<std::string> args = c.args;
      args.push_back(command);
      TideRun r = RunTide(args, dir.path(), c.env);
      EXPECT_EQ(r.exit_code, 2) << command << ": " << r.all();
      EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
      EXPECT_EQ(r.err.find("cannot connect"), std::string::npos) << r.err;
    }
  }
  // A port list for several hosts, and every sslmode libpq knows, are accepted (the run then
  // fails to connect: exit 1, not 2).
  TempDir dir;
  dir.Write("migrations/V1__t.sql", "SELECT 1;\n");
  TideRun ok =
      RunTide({"--url", "postgresql://127.0.0.1:1,127.0.0.1:2/app?sslmode=verify-full", "info"},
              dir.path());
  EXPECT_EQ(ok.exit_code, 1) << ok.all();
}

class DbRunLogTest : public DbTest {
 protected:
  TideRun Tide(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
    args.insert(args.begin(), {"--url", url()});
    return RunTide(args, dir_.path(), env);
  }
  TempDir dir_;
};

TEST_F(DbRunLogTest, AKilledRunIsShownInterruptedAndMarkedSoByTheNextRun) {
  dir_.Write("migrations/V1__t.sql", "CREATE TABLE t (id int PRIMARY KEY);\n");
  dir_.Write("migrations/V2__note.sql", "ALTER TABLE t ADD COLUMN note text;\n");
  TideRun killed = Tide({"migrate"}, {"TIDE_FAULT=state.started"});
  ASSERT_EQ(killed.exit_code, -9) << killed.all();
  EXPECT_EQ(Value("SELECT outcome FROM tide_run_log ORDER BY id DESC LIMIT 1"), "running");
  // No session holds the migration lock: info says what happened, before any run cleans up.
  TideRun info = Tide({"--json", "info"});
  ASSERT_EQ(info.exit_code, 0) << info.all();
  auto doc = nlohmann::json::parse(info.out);
  EXPECT_EQ(doc["runs"][0]["outcome"], "interrupted") << info.out;
  TideRun text = Tide({"info"});
  EXPECT_NE(text.out.find("interrupted"), std::string::npos) << text.out;

  TideRun again = Tide({"migrate"});
  ASSERT_EQ(again.exit_code, 0) << again.all();
  EXPECT_EQ(Value("SELECT string_agg(outcome, ',' ORDER BY id) FROM tide_run_log"),
            "interrupted,ok");
  EXPECT_NE(Value("SELECT error FROM tide_run_log ORDER BY id LIMIT 1").find("killed"),
            std::string::npos);
}

}  // namespace
}  // namespace tide::testing
