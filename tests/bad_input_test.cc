// Bad input: malformed settings, file names, SQL, placeholders and script settings. Each ends in
// exit 2 with the file (and the line, where the input has lines) named, and leaves the database
// exactly as it was: no history table created, no row written, no statement of a good file run.
#include <gtest/gtest.h>

#include <fstream>

#include "customers_cycle.h"
#include "db_compare.h"
#include "harness.h"

namespace tide::testing {
namespace {

struct BadInput {
  const char* name;
  const char* file;     // written under the project folder
  const char* content;  // its text (may hold any bytes; size given by content_size)
  size_t content_size;  // 0: strlen(content)
  const char* where;    // what the error must name: "file:line", or the file
  bool at_v1 = true;    // start from a database at V1 with rows; else from an empty one
};

void PrintTo(const BadInput& c, std::ostream* os) { *os << c.name; }

#define TEXT(s) s, sizeof(s) - 1

const BadInput kCases[] = {
    {"TomlSyntax", "tide.toml", TEXT("locations = [\"migrations\"]\nurl = \"unterminated\n"),
     "tide.toml:2"},
    {"TomlWrongType", "tide.toml", TEXT("locations = [\"migrations\"]\nlock_timeout = true\n"),
     "tide.toml:2"},
    {"TomlUnknownKey", "tide.toml", TEXT("locations = [\"migrations\"]\n\n[backfill]\nbatch = 5\n"),
     "tide.toml:4"},
    {"TomlZeroBatch", "tide.toml",
     TEXT("locations = [\"migrations\"]\n[backfill]\nmin_batch = 0\n"), "tide.toml:2"},
    {"TomlBinary", "tide.toml", TEXT("\x00\xff\xfe locations\x01 = \x80\n"), "tide.toml:1"},
    {"NameWithoutSeparator", "migrations/V2_add_column.sql", TEXT("SELECT 1;\n"),
     "V2_add_column.sql"},
    {"NameBadVersion", "migrations/V2.x__add.sql", TEXT("SELECT 1;\n"), "V2.x__add.sql"},
    {"NameDuplicateVersion", "migrations/V1.0__again.sql", TEXT("SELECT 1;\n"), "V1.0__again.sql"},
    {"SqlSyntax", "migrations/V2__typo.sql",
     TEXT("-- a comment\nALTER TABLE customers ADD COLUMN note text;\nALTER TABLE customers "
          "ADD COLUMN;\n"),
     "V2__typo.sql:3:"},
    {"SqlSyntaxOnEmptyDatabase", "migrations/V1.05__typo.sql", TEXT("CREATE TABLE (;\n"),
     "V1.05__typo.sql:1:", false},
    {"SqlNulBytes", "migrations/V2__nul.sql", TEXT("SELECT 1;\nSELECT \x00\x01\x02;\n"),
     "V2__nul.sql:2"},
    {"SqlInvalidUtf8", "migrations/V2__utf8.sql",
     TEXT("ALTER TABLE customers ADD COLUMN note text;\nCOMMENT ON TABLE customers IS '\xc3\x28 "
          "\xff';\n"),
     "V2__utf8.sql:2"},
    {"SqlUnterminatedString", "migrations/V2__quote.sql",
     TEXT("ALTER TABLE customers ADD COLUMN note text DEFAULT 'oops;\n"), "V2__quote.sql:1"},
    {"SqlUnterminatedDollarQuote", "migrations/V2__dollar.sql",
     TEXT("DO $$ BEGIN PERFORM 1; END\n"), "V2__dollar.sql:1"},
    {"UndefinedPlaceholder", "migrations/V2__placeholder.sql",
     TEXT("ALTER TABLE customers ADD COLUMN note text;\nCOMMENT ON TABLE customers IS "
          "'${owner}';\n"),
     "V2__placeholder.sql:2:"},
    {"RefusedStatement", "migrations/V2__full.sql",
     TEXT("ALTER TABLE customers ADD COLUMN note text;\nVACUUM FULL customers;\n"),
     "V2__full.sql:2"},
    {"ScriptConfUnknownKey", "migrations/V2__x.sql.conf",
     TEXT("executeInTransaction=false\nbogus=1\n"), "V2__x.sql.conf:2"},
    {"ScriptConfBadValue", "migrations/V2__x.sql.conf", TEXT("executeInTransaction=maybe\n"),
     "V2__x.sql.conf:1"},
    {"YamlSyntax", "migrations/V2__declarative.yaml",
     TEXT("operations:\n  - add_column: {table: customers\n"), "V2__declarative.yaml:3"},
    {"YamlUnknownOperation", "migrations/V2__declarative.yaml",
     TEXT("operations:\n  - add_colum: {table: customers}\n"), "V2__declarative.yaml:2:5"},
    {"YamlUnknownField", "migrations/V2__declarative.yaml",
     TEXT("operations:\n  - drop_column: {table: customers, column: contact_info, bogus: 1}\n"),
     "V2__declarative.yaml:2"},
    {"YamlExpressionDoesNotParse", "migrations/V2__declarative.yaml",
     TEXT("operations:\n  - add_column:\n      table: customers\n      column: {name: e, type: "
          "text}\n      up: \"lower(name\"\n"),
     "V2__declarative.yaml:5"},
    {"YamlUnknownTable", "migrations/V2__declarative.yaml",
     TEXT("operations:\n  - drop_column: {table: nope, column: x}\n"), "V2__declarative.yaml:2"},
};

void cycle_write(const CustomersCycle& cycle, const std::string& relative,
                 const std::string& text) {
  std::filesystem::path p = cycle.dir() / relative;
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

class DbBadInputTest : public ::testing::TestWithParam<BadInput> {
 protected:
  void SetUp() override {
    db_ = UniqueName("tide_bad_input");
    CreateDatabase(db_, GetParam().at_v1 ? CustomersReference().template_db : "");
    url_ = DatabaseUrl(db_);
  }
  void TearDown() override { DropDatabase(db_); }
  std::string db_, url_;
};

TEST_P(DbBadInputTest, EndsInExit2NamingTheFileAndTouchesNothing) {
  const BadInput& c = GetParam();
  CustomersCycle cycle;  // tide.toml and the customers migrations
  if (c.at_v1) {
    TideRun r = cycle.Migrate(url_, "latest");  // V1.1 and V1.2: nothing pending but what follows
    ASSERT_EQ(r.exit_code, 0) << r.all();
  }
  // A good pending migration before the bad one: it must not run either.
  cycle_write(cycle, "migrations/V1.9__good.sql", "CREATE TABLE good_one (id int);\n");
  cycle_write(cycle, c.file, std::string(c.content, c.content_size));
  if (std::string(c.file).find(".sql.conf") != std::string::npos) {
    cycle_write(cycle, "migrations/V2__x.sql", "SELECT 1;\n");
  }
  Fingerprint before = TakeFingerprint(url_);
  for (const char* command : {"migrate", "validate", "info"}) {
    SCOPED_TRACE(command);
    TideRun r = RunTide({"--url", url_, command}, cycle.dir());
    if (std::string(command) != "migrate" && r.exit_code != 2) continue;  // read-only, lenient
    EXPECT_EQ(r.exit_code, 2) << r.all();
    EXPECT_NE(r.err.find(c.where), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("Internal"), std::string::npos) << r.err;
  }
  Fingerprint after = TakeFingerprint(url_);
  EXPECT_EQ(after.schema, before.schema);
  EXPECT_EQ(after.rows, before.rows);
  EXPECT_EQ(after.history, before.history);
  EXPECT_EQ(after.state, before.state);
}

INSTANTIATE_TEST_SUITE_P(DbBad, DbBadInputTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<BadInput>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace tide::testing
