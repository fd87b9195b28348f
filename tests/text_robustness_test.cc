// Text from input files as users write it (any language, emoji) or mangle it (Latin-1 bytes,
// terminal escapes), through every command that prints it. Previews are cut at several limits
// (60, 70, 80, 100, 200 bytes); a cut inside a multi-byte character once made `--json migrate`
// abort (SIGABRT, exit 134) after applying. Every JSON document must parse, every exit code be a
// defined one, and no control byte of a file reach the terminal.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "harness.h"

namespace tide::testing {
namespace {

namespace fs = std::filesystem;

// 2-, 3- (two of them) and 4-byte characters.
const char* const kWide[] = {"\xC3\xBC", "\xE6\x97\xA5\xE6\x9C\xAC", "\xF0\x9F\x98\x80"};

// Statements whose text puts a multi-byte character across every byte of every preview limit:
// the padding grows one byte at a time, so for each limit some statement has the character's
// first byte at limit-1, limit-2 and limit-3 (and every other position) of the cut.
std::string MultiByteStatements() {
  std::string sql = "CREATE TABLE t (id int PRIMARY KEY, c text);\n";
  for (const char* wide : kWide) {
    for (int pad = 0; pad <= 110; ++pad) {
      std::string text = std::string(pad, 'x');
      for (int k = 0; k < 30; ++k) text += wide;
      sql += "COMMENT ON TABLE t IS '" + text + "';\n";
      // An ALTER TABLE clause is summarized on its own (60 bytes).
      sql += "ALTER TABLE t ALTER COLUMN c SET DEFAULT '" + text + "';\n";
    }
  }
  return sql;
}

// A document that parses, where every string is UTF-8 (nlohmann's parser checks).
nlohmann::json ParseDocument(const TideRun& r) {
  try {
    return nlohmann::json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "stdout is not one JSON document: " << e.what() << "\n" << r.all();
    return nullptr;
  }
}

bool DefinedExit(int code) { return code >= 0 && code <= 3; }

class DbTextRobustnessTest : public DbTest {
 protected:
  TideRun Tide(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
    args.insert(args.begin(), {"--url", url()});
    return RunTide(args, dir_.path(), env);
  }
  TempDir dir_;
};

TEST_F(DbTextRobustnessTest, JsonMigrateWithMultiByteTextCutAtEveryPosition) {
  dir_.Write("migrations/V1__wide.sql", MultiByteStatements());
  for (const char* command : {"lint", "plan"}) {
    TideRun r = Tide({"--json", command});
    EXPECT_TRUE(DefinedExit(r.exit_code)) << command << ": " << r.all();
    ParseDocument(r);
  }
  // The text output too: previews cut on character boundaries only.
  TideRun plan = Tide({"plan"});
  EXPECT_EQ(plan.exit_code, 0) << plan.all();
  EXPECT_EQ(FirstInvalidUtf8(plan.out, false), std::string::npos) << plan.out;
  TideRun migrate = Tide({"--json", "migrate"});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.all();
  nlohmann::json doc = ParseDocument(migrate);
  ASSERT_TRUE(doc.is_object());
  const auto& steps = doc["applied"][0]["steps"];
  ASSERT_GT(steps.size(), 600u);
  for (const auto& step : steps) {
    EXPECT_LE(step["sql"].get<std::string>().size(), 100u);
  }
  EXPECT_EQ(
      Value("SELECT obj_description('t'::regclass)"), std::string(110, 'x') + [] {
        std::string s;
        for (int k = 0; k < 30; ++k) s += kWide[2];
        return s;
      }());
  TideRun info = Tide({"--json", "info"});
  EXPECT_EQ(info.exit_code, 0) << info.all();
  ParseDocument(info);
}

// Bytes that are not UTF-8 (a Latin-1 file, a Latin-1 file name) in every command with --json:
// an error or a report, always one document and a defined exit code.
TEST_F(DbTextRobustnessTest, JsonCommandsWithInvalidUtf8InFilesAndNames) {
  dir_.Write("migrations/V1__ok.sql", "CREATE TABLE t (id int PRIMARY KEY);\n");
  ASSERT_EQ(Tide({"migrate"}).exit_code, 0);
  dir_.Write("migrations/V2__caf\xE9.sql", "ALTER TABLE t ADD COLUMN note text;\n");
  dir_.Write("migrations/V3__latin1.sql", "COMMENT ON TABLE t IS 'caf\xE9 cr\xE8me';\n");
  for (const char* command : {"info", "lint", "plan", "validate", "migrate"}) {
    TideRun r = Tide({"--json", command});
    SCOPED_TRACE(command);
    EXPECT_TRUE(DefinedExit(r.exit_code)) << r.all();
    ParseDocument(r);
  }
  TideRun info = Tide({"--json", "info"});
  EXPECT_EQ(info.exit_code, 0) << info.all();
  EXPECT_NE(info.out.find("caf\xEF\xBF\xBD"), std::string::npos) << info.out;  // U+FFFD
}

// Control bytes from a file are shown as escapes, in lint's report and in errors quoting a
// statement or a name; never sent to the terminal.
TEST_F(DbTextRobustnessTest, ControlBytesFromFilesAreShownNotSent) {
  dir_.Write("lint/V1__esc.sql", "TRUNCATE t; -- \x1b[2J\x1b[31mall good\x07\r\n");
  TideRun lint = RunTide({"lint", "--color", "never", "lint/V1__esc.sql"}, dir_.path());
  EXPECT_EQ(lint.exit_code, 1) << lint.all();
  EXPECT_EQ(lint.all().find('\x1b'), std::string::npos) << lint.all();
  EXPECT_EQ(lint.all().find('\x07'), std::string::npos) << lint.all();
  EXPECT_NE(lint.out.find("-- \\x1b[2J\\x1b[31mall good\\x07"), std::string::npos) << lint.out;
  EXPECT_NE(lint.out.find("| ^"), std::string::npos) << lint.out;  // the caret under TRUNCATE

  // Statements quoted in progress lines (one applied) and in an error (one the server rejects).
  dir_.Write("migrations/V1__t.sql", "CREATE TABLE t (id int PRIMARY KEY);\n");
  dir_.Write("migrations/V2__esc.sql", "-- \x1b[2J\nCOMMENT ON TABLE t IS '\x1b[31mred\x07';\n");
  dir_.Write("migrations/V3__fails.sql", "SELECT 1 / 0 AS \"\x1b]0;pwned\x07\", '\x1b[31m\r';\n");
  TideRun migrate = Tide({"migrate"});
  EXPECT_EQ(migrate.exit_code, 1) << migrate.all();
  EXPECT_EQ(migrate.all().find('\x1b'), std::string::npos) << migrate.all();
  EXPECT_EQ(migrate.all().find('\x07'), std::string::npos) << migrate.all();
  EXPECT_EQ(migrate.all().find('\r'), std::string::npos) << migrate.all();
  EXPECT_NE(migrate.all().find("\\x1b"), std::string::npos) << migrate.all();
}

}  // namespace
}  // namespace tide::testing
