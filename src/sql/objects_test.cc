#include "sql/objects.h"

#include <gtest/gtest.h>

namespace tide::sql {
namespace {

ClassifiedScript Script(const std::string& sql, const PhaseFacts& facts = {}) {
  auto script = ClassifyScript(sql, "V2__x.sql");
  EXPECT_TRUE(script.ok()) << (script.ok() ? "" : script.error().ToString());
  ClassifiedScript out = std::move(script).value();
  if (facts.view || !facts.created_earlier.empty()) JudgePhases(out, facts);
  return out;
}

PhaseFacts ViewHas(std::vector<std::string> columns) {
  PhaseFacts facts;
  facts.view = [columns](const TableName&) -> std::optional<ViewShape> {
    return ViewShape{true, columns, "the database"};
  };
  return facts;
}

TEST(PhaseJudgeTest, ATableCreatedInTheFileAndThenTrimmedIsNotAContract) {
  auto s = Script(
      "CREATE TABLE invoices (id bigint, old_note text);\n"
      "ALTER TABLE invoices DROP COLUMN old_note;\n"
      "ALTER TABLE invoices ADD COLUMN note text, ALTER COLUMN id SET NOT NULL;\n"
      "CREATE VIEW v_invoices AS SELECT id FROM invoices;\n"
      "DROP VIEW v_invoices;\n");
  EXPECT_EQ(s.classified[1].text_phase, Phase::kContract);
  EXPECT_EQ(s.classified[1].phase, Phase::kNeutral);
  EXPECT_TRUE(s.classified[1].on_new_object);
  EXPECT_NE(s.classified[1].phase_note.find("created earlier in this file"), std::string::npos);
  EXPECT_FALSE(s.classified[2].mixed_phase);
  EXPECT_EQ(s.classified[4].phase, Phase::kNeutral);
  EXPECT_EQ(s.phase, Phase::kExpand);
  EXPECT_FALSE(s.mixed_phase);
}

TEST(PhaseJudgeTest, ATableCreatedEarlierInTheRunIsNew) {
  PhaseFacts facts;
  ObjectRef t;
  t.name.name = "invoices";
  t.relkind = "table";
  facts.created_earlier.push_back(t);
  auto s = Script(
      "ALTER TABLE invoices DROP COLUMN old_note;\n"
      "ALTER TABLE customers ADD COLUMN note text;\n",
      facts);
  EXPECT_EQ(s.classified[0].phase, Phase::kNeutral);
  EXPECT_NE(s.classified[0].phase_note.find("earlier in this run"), std::string::npos);
  EXPECT_EQ(s.phase, Phase::kExpand);
  // Without the run, the same file is mixed.
  EXPECT_TRUE(Script("ALTER TABLE invoices DROP COLUMN old_note;\n"
                     "ALTER TABLE customers ADD COLUMN note text;\n")
                  .mixed_phase);
}

TEST(PhaseJudgeTest, OnlySurelyNewObjectsAreNewForTheRestOfTheRun) {
  // IF NOT EXISTS may meet the table a release already uses.
  auto maybe =
      Script("CREATE TABLE IF NOT EXISTS t (a int, b int);\nALTER TABLE t DROP COLUMN a;\n");
  EXPECT_EQ(maybe.classified[1].phase, Phase::kContract);
  // A view re-created after its drop is the old view again for the files after it.
  std::vector<ObjectRef> created;
  auto replaced = Script(
      "DROP VIEW v;\nCREATE VIEW v AS SELECT 1 AS x;\n"
      "CREATE TABLE fresh (id int);\n");
  JudgePhases(replaced, PhaseFacts(), &created);
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].Display(), "table fresh");
}

TEST(PhaseJudgeTest, ARenamedExistingTableIsNotNew) {
  auto s = Script(
      "ALTER TABLE customers RENAME TO clients;\n"
      "ALTER TABLE clients DROP COLUMN note;\n");
  EXPECT_EQ(s.classified[1].phase, Phase::kContract);
  auto fresh = Script(
      "CREATE TABLE a (x int, y int);\nALTER TABLE a RENAME TO b;\n"
      "ALTER TABLE b DROP COLUMN y;\n");
  EXPECT_EQ(fresh.classified[2].phase, Phase::kNeutral);
  EXPECT_EQ(fresh.phase, Phase::kExpand);
}

TEST(PhaseJudgeTest, AViewReplacedWithTheSameColumnsIsAnExpand) {
  const std::string sql =
      "DROP VIEW IF EXISTS v_customers;\n"
      "CREATE VIEW v_customers AS SELECT id, name AS full_name, lower(email), t.kind::text "
      "FROM customers t;\n";
  auto same = Script(sql, ViewHas({"id", "full_name", "lower", "kind"}));
  EXPECT_EQ(same.classified[0].phase, Phase::kNeutral);
  EXPECT_EQ(same.classified[1].phase, Phase::kExpand);
  EXPECT_EQ(same.phase, Phase::kExpand);
  EXPECT_NE(same.classified[0].phase_note.find("every column it had"), std::string::npos);
  auto fewer = Script(sql, ViewHas({"id", "full_name", "lower", "kind", "contact_info"}));
  EXPECT_EQ(fewer.classified[0].phase, Phase::kContract);
  EXPECT_EQ(fewer.classified[1].phase, Phase::kNeutral);
  EXPECT_EQ(fewer.phase, Phase::kContract);
  EXPECT_FALSE(fewer.mixed_phase);
  EXPECT_NE(fewer.classified[0].phase_note.find("without column contact_info"), std::string::npos)
      << fewer.classified[0].phase_note;
  // No database and no earlier file: the old columns are unknown, so it counts as a contract.
  auto offline = Script(sql);
  EXPECT_EQ(offline.phase, Phase::kContract);
  EXPECT_NE(offline.classified[0].phase_note.find("not known here"), std::string::npos);
  // The new definition's SELECT * cannot be judged from the text.
  auto star = Script("DROP VIEW v;\nCREATE VIEW v AS SELECT * FROM customers;\n", ViewHas({"id"}));
  EXPECT_EQ(star.phase, Phase::kContract);
  EXPECT_NE(star.classified[0].phase_note.find("SELECT *"), std::string::npos);
  // CASCADE may take dependent views along.
  auto cascade =
      Script("DROP VIEW v CASCADE;\nCREATE VIEW v AS SELECT id FROM customers;\n", ViewHas({"id"}));
  EXPECT_EQ(cascade.classified[0].phase, Phase::kContract);
  EXPECT_NE(cascade.classified[0].phase_note.find("CASCADE"), std::string::npos);
}

TEST(PhaseJudgeTest, FunctionsTriggersAndTypesReplacedAreNeutral) {
  auto f = Script(
      "DROP FUNCTION IF EXISTS full_name(integer);\n"
      "CREATE FUNCTION full_name(id int) RETURNS text LANGUAGE sql AS 'select ''x''';\n"
      "DROP TRIGGER tg_sync ON customers;\n"
      "CREATE TRIGGER tg_sync BEFORE INSERT ON customers FOR EACH ROW EXECUTE FUNCTION f();\n"
      "DROP TYPE mood;\n"
      "CREATE TYPE mood AS ENUM ('ok', 'sad');\n");
  for (const auto& c : f.classified) EXPECT_EQ(c.phase, Phase::kNeutral) << c.summary;
  EXPECT_EQ(f.phase, Phase::kNeutral);
  // Another overload is another function: the old one is gone.
  auto other = Script(
      "DROP FUNCTION full_name(integer);\n"
      "CREATE FUNCTION full_name(id text) RETURNS text LANGUAGE sql AS 'select ''x''';\n");
  EXPECT_EQ(other.phase, Phase::kContract);
  // A table dropped and created again loses its rows: still a contract.
  auto table = Script("DROP TABLE t;\nCREATE TABLE t (id int);\n");
  EXPECT_TRUE(table.mixed_phase);
}

TEST(PhaseJudgeTest, ViewColumnsFollowPostgresNaming) {
  auto s = Script(
      "CREATE VIEW a (x, y) AS SELECT id, name, now()::date, CASE WHEN true THEN 1 END, 1 "
      "FROM t UNION SELECT 1, 2, 3, 4, 5;\n"
      "CREATE VIEW b AS SELECT t.* FROM t;\n"
      "CREATE MATERIALIZED VIEW c AS SELECT id AS key FROM t;\n"
      "CREATE OR REPLACE VIEW d AS SELECT 1 AS one;\n");
  EXPECT_EQ(*ViewColumns(s.classified[0]),
            (std::vector<std::string>{"x", "y", "now", "case", "?column?"}));
  EXPECT_FALSE(ViewColumns(s.classified[1]).has_value());
  EXPECT_EQ(*ViewColumns(s.classified[2]), std::vector<std::string>{"key"});
  // PostgreSQL refuses a CREATE OR REPLACE VIEW that loses a column: it only ever expands.
  EXPECT_EQ(s.classified[3].phase, Phase::kExpand);
}

}  // namespace
}  // namespace tide::sql
