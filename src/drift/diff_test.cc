#include "drift/diff.h"

#include <gtest/gtest.h>

#include "drift/report.h"
#include "drift/statements.h"

namespace tide::drift {
namespace {

DbObject Table(const std::string& name) {
  DbObject o;
  o.kind = ObjectKind::kTable;
  o.schema = "public";
  o.name = name;
  return o;
}

DbObject Column(const std::string& table, const std::string& name, int position,
                const std::string& type, const std::string& nullability = "NULL",
                const std::string& def = "") {
  DbObject o;
  o.kind = ObjectKind::kColumn;
  o.schema = "public";
  o.table = table;
  o.name = name;
  o.position = position;
  o.facts = {{"type", type},    {"nullability", nullability},
             {"default", def},  {"identity", ""},
             {"generated", ""}, {"collation", ""}};
  return o;
}

DbObject Index(const std::string& table, const std::string& name, const std::string& def) {
  DbObject o;
  o.kind = ObjectKind::kIndex;
  o.schema = "public";
  o.table = table;
  o.name = name;
  o.facts = {{"definition", def}, {"valid", "yes"}};
  return o;
}

DbObject Constraint(const std::string& table, const std::string& name, const std::string& type,
                    const std::string& def, bool validated = true) {
  DbObject o;
  o.kind = ObjectKind::kConstraint;
  o.schema = "public";
  o.table = table;
  o.name = name;
  o.facts = {{"type", type}, {"definition", def}, {"validated", validated ? "yes" : "no"}};
  return o;
}

DbObject Enum(const std::string& name, const std::vector<std::string>& labels) {
  DbObject o;
  o.kind = ObjectKind::kEnum;
  o.schema = "public";
  o.name = name;
  std::string quoted, list;
  for (const auto& l : labels) {
    quoted += (quoted.empty() ? "'" : ", '") + l + "'";
    list += (list.empty() ? "" : "\x1f") + l;
  }
  o.facts["labels"] = quoted;
  o.extra["label list"] = list;
  o.extra["users"] = "public.orders\x1fstatus";
  return o;
}

// customers(id bigint NOT NULL, email text DEFAULT 'x', status text), its primary key.
Snapshot Customers() {
  Snapshot s;
  s.objects = {Table("customers"), Column("customers", "id", 1, "bigint", "NOT NULL"),
               Column("customers", "email", 2, "text", "NULL", "'x'::text"),
               Column("customers", "status", 3, "text"),
               Constraint("customers", "customers_pkey", "primary key", "PRIMARY KEY (id)")};
  return s;
}

DbObject* Find(Snapshot& s, ObjectKind kind, const std::string& name) {
  for (auto& o : s.objects) {
    if (o.kind == kind && o.name == name) return &o;
  }
  return nullptr;
}

TEST(DriftDiffTest, TheSameSchemaHasNoFinding) {
  EXPECT_TRUE(Diff(Customers(), Customers(), {}).empty());
}

TEST(DriftDiffTest, AnExtraIndexIsDroppedConcurrentlyOrAdoptedConcurrently) {
  Snapshot db = Customers();
  db.objects.push_back(Index("customers", "customers_email_idx",
                             "CREATE INDEX customers_email_idx ON public.customers USING btree "
                             "(email)"));
  auto findings = Diff(Customers(), db, {});
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].kind, DriftKind::kExtra);
  EXPECT_EQ(findings[0].object, "public.customers.customers_email_idx");
  EXPECT_EQ(findings[0].to_history, "DROP INDEX CONCURRENTLY \"public\".\"customers_email_idx\"");
  EXPECT_EQ(
      findings[0].to_migration,
      "CREATE INDEX CONCURRENTLY customers_email_idx ON public.customers USING btree (email)");
}

TEST(DriftDiffTest, AMissingColumnIsAddedBackAndSaysWhenItWillNotBeInPlace) {
  Snapshot db = Customers();
  db.objects.erase(db.objects.begin() + 2);  // email
  auto findings = Diff(Customers(), db, {});
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  EXPECT_EQ(f.kind, DriftKind::kMissing);
  EXPECT_EQ(f.object_kind, ObjectKind::kColumn);
  EXPECT_EQ(f.to_history,
            "ALTER TABLE \"public\".\"customers\" ADD COLUMN \"email\" text DEFAULT 'x'::text");
  EXPECT_EQ(f.to_migration, "ALTER TABLE \"public\".\"customers\" DROP COLUMN \"email\"");
  ASSERT_EQ(f.notes.size(), 1u);
  EXPECT_NE(f.notes[0].find("email comes before status"), std::string::npos);
}

TEST(DriftDiffTest, AChangedDefaultSetsTheHistorysDefaultOrAdoptsTheDatabases) {
  Snapshot db = Customers();
  Find(db, ObjectKind::kColumn, "email")->facts["default"] = "'y'::text";
  auto findings = Diff(Customers(), db, {});
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].kind, DriftKind::kChanged);
  ASSERT_EQ(findings[0].differences.size(), 1u);
  EXPECT_EQ(findings[0].differences[0].fact, "default");
  EXPECT_EQ(findings[0].differences[0].history, "'x'::text");
  EXPECT_EQ(findings[0].differences[0].database, "'y'::text");
  EXPECT_EQ(findings[0].to_history,
            "ALTER TABLE \"public\".\"customers\" ALTER COLUMN \"email\" SET DEFAULT 'x'::text");
  EXPECT_EQ(findings[0].to_migration,
            "ALTER TABLE \"public\".\"customers\" ALTER COLUMN \"email\" SET DEFAULT 'y'::text");
}

TEST(DriftDiffTest, ANotValidConstraintLeftBehindIsValidated) {
  Snapshot h = Customers(), db = Customers();
  h.objects.push_back(
      Constraint("customers", "email_check", "check", "CHECK ((email <> ''::text))"));
  db.objects.push_back(
      Constraint("customers", "email_check", "check", "CHECK ((email <> ''::text))", false));
  auto findings = Diff(h, db, {});
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].differences[0].fact, "validated");
  EXPECT_EQ(findings[0].to_history,
            "ALTER TABLE \"public\".\"customers\" VALIDATE CONSTRAINT \"email_check\"");
  // The other way round cannot un-validate: it drops and adds NOT VALID, and says so.
  EXPECT_NE(findings[0].to_migration.find("NOT VALID"), std::string::npos);
  EXPECT_FALSE(findings[0].notes.empty());
}

TEST(DriftDiffTest, AnExtraTableIsOneFindingThatCarriesItsParts) {
  Snapshot db = Customers();
  db.objects.push_back(Table("hotfix"));
  db.objects.push_back(Column("hotfix", "id", 1, "integer", "NOT NULL"));
  db.objects.push_back(Column("hotfix", "note", 2, "text"));
  db.objects.push_back(Index("hotfix", "hotfix_note_idx",
                             "CREATE INDEX hotfix_note_idx ON public.hotfix USING btree (note)"));
  auto findings = Diff(Customers(), db, {});
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].object_kind, ObjectKind::kTable);
  EXPECT_EQ(findings[0].to_history, "DROP TABLE \"public\".\"hotfix\"");
  EXPECT_EQ(
      findings[0].to_migration,
      "CREATE TABLE \"public\".\"hotfix\" (\n  \"id\" integer NOT NULL,\n  \"note\" text\n);\n"
      "CREATE INDEX CONCURRENTLY hotfix_note_idx ON public.hotfix USING btree (note)");
}

TEST(DriftDiffTest, OwnTablesTransientNamesAndIgnoredPatternsAreNotCompared) {
  Snapshot db = Customers();
  db.objects.push_back(Table("flyway_schema_history"));
  db.objects.push_back(Column("flyway_schema_history", "version", 2, "character varying(50)"));
  db.objects.push_back(Table("tide_run_log"));
  db.objects.push_back(Constraint("customers", "tide_nn_status_1a2b", "check",
                                  "CHECK ((status IS NOT NULL))", false));
  db.objects.push_back(Table("legacy_orders"));
  db.objects.push_back(Column("legacy_orders", "id", 1, "integer"));
  DiffOptions options;
  options.ignore = {"public.legacy_*"};
  EXPECT_TRUE(Diff(Customers(), db, options).empty());
  // Another schema's flyway_schema_history is a user table like any other.
  options.history_schema = "app";
  EXPECT_EQ(Diff(Customers(), db, options).size(), 2u);
}

TEST(DriftDiffTest, AnAddedEnumLabelRebuildsTheTypeAMissingOneIsAddedInPlace) {
  Snapshot h, db;
  h.objects = {Enum("mood", {"sad", "happy"})};
  db.objects = {Enum("mood", {"sad", "ok", "happy"})};
  auto findings = Diff(h, db, {});
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].to_migration,
            "ALTER TYPE \"public\".\"mood\" ADD VALUE 'ok' BEFORE 'happy'");
  EXPECT_EQ(findings[0].to_history,
            "ALTER TYPE \"public\".\"mood\" RENAME TO \"mood_before_drift_fix\";\n"
            "CREATE TYPE \"public\".\"mood\" AS ENUM ('sad', 'happy');\n"
            "ALTER TABLE public.orders ALTER COLUMN status TYPE \"public\".\"mood\" USING "
            "status::text::\"public\".\"mood\";\n"
            "DROP TYPE \"public\".\"mood_before_drift_fix\"");
}

TEST(DriftDiffTest, ColumnOrderIsComparedOnTheColumnsBothSidesHave) {
  Snapshot db = Customers();
  Find(db, ObjectKind::kColumn, "email")->position = 4;
  auto findings = Diff(Customers(), db, {});
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].object_kind, ObjectKind::kTable);
  EXPECT_EQ(findings[0].differences[0].fact, "column order");
  EXPECT_EQ(findings[0].differences[0].history, "id, email, status");
  EXPECT_EQ(findings[0].differences[0].database, "id, status, email");
}

TEST(DriftDiffTest, GrantsDifferOnlyWhenComparedAndRevokeThenGrant) {
  Snapshot h = Customers(), db = Customers();
  Find(h, ObjectKind::kTable, "customers")->facts["grant CURRENT_USER"] = "arwdDxt";
  Find(db, ObjectKind::kTable, "customers")->facts["grant CURRENT_USER"] = "arwdDxt";
  Find(db, ObjectKind::kTable, "customers")->facts["grant reporting"] = "SELECT";
  auto findings = Diff(h, db, {});
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].to_history, "REVOKE ALL ON TABLE \"public\".\"customers\" FROM reporting");
  EXPECT_EQ(findings[0].to_migration,
            "REVOKE ALL ON TABLE \"public\".\"customers\" FROM reporting;\n"
            "GRANT SELECT ON TABLE \"public\".\"customers\" TO reporting");
}

TEST(DriftReportTest, TextGroupsBySchemaJsonAndSarifCarryBothStatements) {
  Snapshot db = Customers();
  db.objects.push_back(Index("customers", "customers_email_idx",
                             "CREATE INDEX customers_email_idx ON public.customers USING btree "
                             "(email)"));
  DriftReport report;
  report.database = "host=db dbname=app";
  report.history = "3 files, up to V1.2";
  report.findings = Diff(Customers(), db, {});
  std::string text = TextReport(report);
  EXPECT_NE(text.find("Drift: 1 difference between the history (3 files, up to V1.2)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("schema public\n  extra index public.customers.customers_email_idx"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("to match the history:\n        DROP INDEX CONCURRENTLY"), std::string::npos)
      << text;
  auto json = JsonReport(report);
  EXPECT_EQ(json["drift"], true);
  EXPECT_EQ(json["findings"][0]["kind"], "extra");
  EXPECT_EQ(json["findings"][0]["object_kind"], "index");
  auto sarif = SarifReport(report);
  EXPECT_EQ(sarif["runs"][0]["results"][0]["ruleId"], "drift-extra");
  EXPECT_EQ(
      sarif["runs"][0]["results"][0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
      "public.customers.customers_email_idx");
  report.findings.clear();
  EXPECT_NE(TextReport(report).find("No drift"), std::string::npos);
}

}  // namespace
}  // namespace tide::drift
