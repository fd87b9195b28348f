// Declarative migrations planned without a database: the loader's errors (file, line, fix) and
// each operation's expand, contract and rollback steps against a FakeCatalog.
#include "ops/declarative.h"

#include <gtest/gtest.h>

#include "ops/expr.h"
#include "ops/views.h"

namespace tide::ops {
namespace {

plan::FakeCatalog Catalog() {
  plan::FakeCatalog c;
  plan::TableFacts customers;
  customers.rows = 2'000'000;
  customers.key = {"id"};
  customers.key_types = {"bigint"};
  customers.columns = {{"id", {"int8", {}, false}, true},
                       {"name", {"text", {}, false}, true},
                       {"contact_info", {"varchar", {255}, false}, false}};
  customers.details["id"].default_expr = "nextval('customers_id_seq'::regclass)";
  customers.details["contact_info"].type_sql = "character varying(255)";
  c.tables["customers"] = customers;
  plan::TableFacts orders;
  orders.rows = 50'000;
  orders.key = {"id"};
  orders.key_types = {"bigint"};
  orders.columns = {{"id", {"int8", {}, false}, true},
                    {"customer_id", {"int8", {}, false}, false},
                    {"quantity", {"int4", {}, false}, true},
                    {"status", {"text", {}, false}, false},
                    {"note", {"text", {}, false}, false}};
  orders.details["quantity"].type_sql = "integer";
  orders.details["quantity"].default_expr = "1";
  orders.details["status"].type_sql = "text";
  orders.details["note"].type_sql = "text";
  c.tables["orders"] = orders;
  plan::TableFacts legacy;
  legacy.rows = 10;
  legacy.columns = {{"body", {"text", {}, false}, false}};
  c.tables["legacy_notes"] = legacy;
  return c;
}

Result<DeclarativePlan> PlanText(const std::string& yaml, plan::FakeCatalog catalog = Catalog()) {
  TIDE_ASSIGN(Migration m, LoadMigration(yaml, "V2__test.yaml"));
  return PlanMigration(m, catalog, {"public", "2"});
}

std::string All(const plan::Plan& p) {
  std::string out;
  for (const auto& s : p.steps) out += s.sql + "\n--\n";
  return out;
}

// The index of the first step whose SQL contains text; -1 when none does.
int Find(const plan::Plan& p, const std::string& text) {
  for (size_t i = 0; i < p.steps.size(); ++i) {
    if (p.steps[i].sql.find(text) != std::string::npos) return static_cast<int>(i);
  }
  return -1;
}

const char* kCustomers =
    "operations:\n"
    "  - add_column:\n"
    "      table: customers\n"
    "      column: {name: email, type: varchar(255), nullable: false}\n"
    "      up: \"concat(lower(replace(name, ' ', '.')), '@legacy.example.com')\"\n"
    "  - drop_column: {table: customers, column: contact_info, down: email}\n";

TEST(DeclarativeLoad, ErrorsPointAtTheLineAndSayTheFix) {
  struct Case {
    const char* yaml;
    int line;
    const char* message;
    const char* hint;
  } cases[] = {
      {"operations:\n  - add_column:\n      table: t\n      colum: {name: a, type: text}\n", 4,
       "add_column has no field 'colum'", "the fields of add_column are: table, column, up"},
      {"operations:\n  - add_colum: {table: t}\n", 2, "unknown operation 'add_colum'",
       "add_column"},
      {"operations:\n  - drop_column: {column: a}\n", 2, "drop_column needs the field 'table'",
       "add table: <value>"},
      {"operations:\n  - add_column: {table: t, column: {name: a, type: text},\n"
       "                up: \"lower(name\"}\n",
       3, "add_column.up", "one SQL expression"},
      {"operations:\n  - add_column: {table: t, column: {name: a, type: 'no such(('}}\n", 2,
       "not an SQL type name", "varchar(255)"},
      {"operations:\n  - add_column: {table: t, column: {name: a, type: text, nullable: false}}\n",
       2, "is NOT NULL, but nothing gives", "add up"},
      {"operations:\n  - change_type: {table: t, column: a, type: bigint, up: \"(SELECT 1)\", "
       "down: a}\n",
       2, "subquery", "one SQL expression"},
      {"operatons: []\n", 1, "the file has no field 'operatons'", "operations"},
      {"operations:\n  - add_column: {table: t\n", 3, "not valid YAML", "indentation"},
      {"operations:\n  - sql: {expand: \"CREATE TABLE x (a int)\"}\n", 2, "no rollback SQL",
       "rollback"},
  };
  for (const auto& c : cases) {
    auto m = LoadMigration(c.yaml, "V2__x.yaml");
    ASSERT_FALSE(m.ok()) << c.yaml;
    const Error& e = m.error();
    EXPECT_EQ(e.kind(), ErrorKind::kInput) << c.yaml;
    ASSERT_TRUE(e.location().has_value()) << c.yaml;
    EXPECT_EQ(e.location()->file, "V2__x.yaml");
    EXPECT_EQ(e.location()->line, c.line) << c.yaml << e.ToString();
    EXPECT_NE(e.message().find(c.message), std::string::npos) << e.ToString();
    EXPECT_NE(e.hint().find(c.hint), std::string::npos) << e.ToString();
  }
}

TEST(DeclarativePlan, CatalogErrorsPointAtTheField) {
  auto p = PlanText("operations:\n  - drop_column:\n      table: custmers\n      column: x\n");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().location()->line, 3);
  EXPECT_NE(p.error().message().find("table custmers does not exist"), std::string::npos);
  p = PlanText("operations:\n  - drop_column:\n      table: customers\n      column: emial\n");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().location()->line, 4);
  EXPECT_NE(p.error().hint().find("id, name, contact_info"), std::string::npos);
  // up reads the old shape: a column only the new shape has is an error at up's line.
  p = PlanText(
      "operations:\n  - add_column: {table: customers, column: {name: a, type: text}}\n"
      "  - add_column:\n      table: customers\n      column: {name: b, type: text}\n"
      "      up: \"a || 'x'\"\n");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().location()->line, 6);
  EXPECT_NE(p.error().message().find("no column 'a'"), std::string::npos) << p.error().ToString();
  EXPECT_NE(p.error().message().find("old shape"), std::string::npos);
}

TEST(DeclarativePlan, CustomersExpandSyncsBeforeTheBackfillAndContractsWithoutAScan) {
  auto p = PlanText(kCustomers);
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  const plan::Plan& e = p->expand;
  int add = Find(e, "ADD COLUMN \"email\" varchar(255)");
  int fn = Find(e, "CREATE FUNCTION \"public\".\"_tide_sync_v2_customers\"");
  int trg = Find(e, "CREATE TRIGGER \"_tide_sync_v2_insert\" BEFORE INSERT");
  int upd = Find(e,
                 "CREATE TRIGGER \"_tide_sync_v2_update\" BEFORE UPDATE ON "
                 "\"public\".\"customers\" FOR EACH ROW WHEN (NEW.\"name\" IS DISTINCT FROM "
                 "OLD.\"name\" OR NEW.\"email\" IS DISTINCT FROM OLD.\"email\" OR "
                 "NEW.\"email\" IS NULL)");
  EXPECT_EQ(upd, trg + 1) << All(e);
  int view = Find(e,
                  "CREATE VIEW \"public_v2\".\"customers\" AS SELECT \"id\", \"name\", "
                  "\"email\" FROM \"public\".\"customers\"");
  int backfill = Find(e, "UPDATE \"public\".\"customers\" SET \"email\" = \"email\"");
  int check = Find(e, "CHECK (\"email\" IS NOT NULL) NOT VALID");
  ASSERT_GE(add, 0) << All(e);
  EXPECT_EQ(fn, 0);
  EXPECT_LT(add, trg);
  EXPECT_LT(trg, view);
  EXPECT_LT(view, backfill);
  EXPECT_LT(backfill, check);
  EXPECT_EQ(e.steps[backfill].kind, plan::StepKind::kBackfill);
  EXPECT_EQ(e.steps[backfill].backfill->guard, "\"email\" IS NULL");
  EXPECT_EQ(e.steps[backfill].backfill->key, std::vector<std::string>{"\"id\""});
  // The columns and the triggers commit together, in the one transaction that takes the table's
  // ACCESS EXCLUSIVE lock; the function before it and the views after it take none.
  EXPECT_EQ(e.steps[add].group, e.steps[upd].group);
  EXPECT_NE(e.steps[fn].group, e.steps[add].group);
  EXPECT_NE(e.steps[view].group, e.steps[add].group);
  // The views schema commits with its views: a new release never finds it empty.
  int schema = Find(e, "CREATE SCHEMA \"public_v2\"");
  ASSERT_GE(schema, 0) << All(e);
  EXPECT_EQ(e.steps[schema].group, e.steps[view].group);
  EXPECT_GT(e.steps[schema].group, e.steps[add].group);
  const std::string& body = e.steps[fn].sql;
  EXPECT_NE(body.find("NEW.\"email\" := concat(lower(replace(NEW.\"name\", ' ', '.')), "
                      "'@legacy.example.com')"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("NEW.\"contact_info\" := NEW.\"email\""), std::string::npos) << body;
  EXPECT_NE(body.find("NEW.\"email\" IS DISTINCT FROM OLD.\"email\""), std::string::npos);
  EXPECT_NE(body.find("NEW.\"contact_info\" IS NOT DISTINCT FROM OLD.\"contact_info\""),
            std::string::npos)
      << body;
  EXPECT_EQ(body.find("search_path"), std::string::npos);
  // Contract: VALIDATE, trigger gone, SET NOT NULL (no scan), the old column, the views.
  const plan::Plan& c = p->contract;
  int validate = Find(c, "VALIDATE CONSTRAINT");
  int lock_views = Find(c, "LOCK TABLE \"public_v2\".\"customers\" IN ACCESS EXCLUSIVE MODE");
  int drop_trigger = Find(c, "DROP TRIGGER");
  EXPECT_EQ(lock_views + 1, drop_trigger);
  EXPECT_EQ(c.steps[lock_views].group, c.steps[drop_trigger].group);
  int not_null = Find(c, "SET NOT NULL");
  int drop_col = Find(c, "DROP COLUMN \"contact_info\"");
  int drop_views = Find(c, "DROP SCHEMA IF EXISTS \"public_v2\" CASCADE");
  ASSERT_GE(validate, 0) << All(c);
  EXPECT_LT(validate, drop_trigger);
  EXPECT_LT(drop_trigger, not_null);
  EXPECT_LT(not_null, drop_col);
  EXPECT_EQ(drop_views, static_cast<int>(c.steps.size()) - 1);
  // Rollback: views, trigger, then the added column; nothing touches contact_info.
  const plan::Plan& r = p->rollback;
  EXPECT_EQ(Find(r, "DROP SCHEMA IF EXISTS \"public_v2\""), 0) << All(r);
  EXPECT_LT(Find(r, "DROP TRIGGER IF EXISTS"), Find(r, "DROP COLUMN IF EXISTS \"email\""));
  EXPECT_EQ(Find(r, "contact_info"), -1) << All(r);
  EXPECT_EQ(p->search_path, "public_v2, public");
  ASSERT_EQ(p->probes.size(), 2u);
  EXPECT_NE(p->probes[0].sql.find("CAST((concat(lower(replace(p.\"name\""), std::string::npos);
  EXPECT_NE(p->probes[1].sql.find("NULL::varchar(255) AS \"email\""), std::string::npos)
      << p->probes[1].sql;
}

TEST(DeclarativePlan, EachOperationPlansItsThreeLists) {
  struct Case {
    const char* op;
    std::vector<const char*> expand, contract, rollback;
  } cases[] = {
      {"rename_column: {table: orders, from: note, to: comment}",
       {"\"note\" AS \"comment\""},
       {"RENAME COLUMN \"note\" TO \"comment\"", "DROP SCHEMA"},
       {"DROP SCHEMA"}},
      {"change_type: {table: orders, column: quantity, type: bigint, up: \"quantity::bigint\", "
       "down: \"quantity::integer\"}",
       {"ADD COLUMN \"_tide_new_quantity\" bigint",
        "NEW.\"_tide_new_quantity\" := "
        "NEW.\"quantity\"::bigint",
        "NEW.\"quantity\" := NEW.\"_tide_new_quantity\"::integer",
        "\"_tide_new_quantity\" AS \"quantity\"", "ALTER COLUMN \"quantity\" SET DEFAULT 1",
        "CHECK (\"_tide_new_quantity\" IS NOT NULL)"},
       {"DROP COLUMN \"quantity\"", "RENAME COLUMN \"_tide_new_quantity\" TO \"quantity\"",
        "SET DEFAULT 1"},
       {"DROP COLUMN IF EXISTS \"_tide_new_quantity\""}},
      {"set_not_null: {table: orders, column: status, up: \"coalesce(status, 'new')\"}",
       {"ADD COLUMN \"_tide_new_status\" text", "coalesce(NEW.\"status\", 'new')",
        "NEW.\"status\" := NEW.\"_tide_new_status\""},
       {"VALIDATE", "SET NOT NULL", "DROP COLUMN \"status\""},
       {"DROP COLUMN IF EXISTS \"_tide_new_status\""}},
      {"set_not_null: {table: orders, column: status}",
       {},
       {"CHECK (\"status\" IS NOT NULL) NOT VALID", "VALIDATE", "SET NOT NULL"},
       {}},
      {"create_index: {table: orders, name: orders_customer_idx, columns: [customer_id]}",
       {"CREATE INDEX CONCURRENTLY \"orders_customer_idx\" ON \"public\".\"orders\" "
        "(\"customer_id\")"},
       {},
       {"DROP INDEX CONCURRENTLY IF EXISTS \"public\".\"orders_customer_idx\""}},
      {"add_foreign_key: {table: orders, name: orders_customer_fk, columns: [customer_id], "
       "references: {table: customers, columns: [id]}, on_delete: restrict}",
       {"FOREIGN KEY (\"customer_id\") REFERENCES \"public\".\"customers\" (\"id\") ON DELETE "
        "restrict ON UPDATE no action NOT VALID"},
       {"VALIDATE CONSTRAINT \"orders_customer_fk\""},
       {"DROP CONSTRAINT IF EXISTS \"orders_customer_fk\""}},
      {"add_check: {table: orders, name: orders_qty_positive, check: \"quantity > 0\", up: "
       "\"greatest(quantity, 1)\"}",
       {"greatest(NEW.\"quantity\", 1)", "CHECK (\"_tide_new_quantity\" > 0) NOT VALID"},
       {"VALIDATE CONSTRAINT \"orders_qty_positive\"", "DROP COLUMN \"quantity\""},
       {"DROP CONSTRAINT IF EXISTS \"orders_qty_positive\""}},
      {"add_unique: {table: customers, name: customers_name_key, columns: [name]}",
       {"CREATE UNIQUE INDEX CONCURRENTLY \"customers_name_key\""},
       {"ADD CONSTRAINT \"customers_name_key\" UNIQUE USING INDEX \"customers_name_key\""},
       {"DROP INDEX CONCURRENTLY IF EXISTS"}},
      {"create_table: {name: invoices, columns: [{name: id, type: bigint, primary_key: true}, "
       "{name: customer_id, type: bigint, references: {table: customers, column: id}}]}",
       {"CREATE TABLE \"public\".\"invoices\"", "\"id\" bigint PRIMARY KEY",
        "REFERENCES \"public\".\"customers\" (\"id\")"},
       {},
       {"DROP TABLE IF EXISTS \"public\".\"invoices\""}},
      {"drop_table: {name: legacy_notes}", {}, {"DROP TABLE \"public\".\"legacy_notes\""}, {}},
      {"rename_table: {from: orders, to: purchases}",
       {"CREATE VIEW \"public_v2\".\"purchases\" AS SELECT"},
       {"ALTER TABLE \"public\".\"orders\" RENAME TO \"purchases\""},
       {"DROP SCHEMA"}},
      {"sql: {expand: \"CREATE INDEX orders_note_idx ON orders (note)\", rollback: \"DROP INDEX "
       "orders_note_idx\"}",
       {"CREATE INDEX CONCURRENTLY orders_note_idx"},
       {},
       {"DROP INDEX orders_note_idx"}},
  };
  for (const auto& c : cases) {
    auto p = PlanText(std::string("operations:\n  - ") + c.op + "\n");
    ASSERT_TRUE(p.ok()) << c.op << ": " << p.error().ToString();
    auto check = [&](const plan::Plan& plan, const std::vector<const char*>& want,
                     const char* list) {
      std::string all = All(plan);
      for (const char* w : want) {
        EXPECT_NE(all.find(w), std::string::npos) << c.op << "\n"
                                                  << list << " lacks " << w << ":\n"
                                                  << all;
      }
      if (want.empty()) {
        EXPECT_TRUE(plan.steps.empty()) << c.op << "\n" << list << ":\n" << all;
      }
    };
    check(p->expand, c.expand, "expand");
    check(p->contract, c.contract, "contract");
    check(p->rollback, c.rollback, "rollback");
    // Every step of a rollback tolerates what a half-applied expand did not create.
    for (const auto& s : p->rollback.steps) {
      bool tolerant = s.sql.find("IF EXISTS") != std::string::npos ||
                      s.sql.find("orders_note_idx") != std::string::npos;
      EXPECT_TRUE(tolerant) << c.op << ": " << s.sql;
    }
  }
}

TEST(DeclarativePlan, OneTriggerAndOneBackfillPerTable) {
  auto p = PlanText(
      "operations:\n"
      "  - change_type: {table: orders, column: quantity, type: bigint, up: quantity, down: "
      "quantity}\n"
      "  - add_column: {table: orders, column: {name: total, type: numeric}, up: \"quantity * "
      "2\"}\n"
      "  - rename_column: {table: orders, from: note, to: comment}\n");
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  int functions = 0, backfills = 0;
  for (const auto& s : p->expand.steps) {
    functions += s.sql.find("CREATE FUNCTION") != std::string::npos;
    backfills += s.kind == plan::StepKind::kBackfill;
  }
  EXPECT_EQ(functions, 1);
  EXPECT_EQ(backfills, 1);
  int b = Find(p->expand, "SET \"_tide_new_quantity\"");
  ASSERT_GE(b, 0) << All(p->expand);
  EXPECT_EQ(p->expand.steps[b].backfill->guard,
            "\"_tide_new_quantity\" IS NULL OR \"total\" IS NULL");
  EXPECT_GE(Find(p->expand,
                 "\"_tide_new_quantity\" AS \"quantity\", \"status\", \"note\" AS "
                 "\"comment\", \"total\""),
            0)
      << All(p->expand);
}

TEST(DeclarativePlan, ReplacingAColumnThatOthersUseIsRefused) {
  plan::FakeCatalog catalog = Catalog();
  catalog.tables["orders"].details["status"].used_by = {"index orders_status_idx"};
  auto p = PlanText(
      "operations:\n  - set_not_null:\n      table: orders\n      column: status\n"
      "      up: \"coalesce(status, 'new')\"\n",
      catalog);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().location()->line, 4);
  EXPECT_NE(p.error().message().find("index orders_status_idx"), std::string::npos);
  // Without up the column stays where it is: nothing is dropped, so it plans.
  EXPECT_TRUE(
      PlanText("operations:\n  - set_not_null: {table: orders, column: status}\n", catalog).ok());
}

TEST(DeclarativePlan, HalvesSurviveTheStateTable) {
  auto p = PlanText(kCustomers);
  ASSERT_TRUE(p.ok());
  auto back = DeclarativePlan::HalvesFromJson(nlohmann::json::parse(p->HalvesToJson().dump()));
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(All(back->contract), All(p->contract));
  EXPECT_EQ(All(back->rollback), All(p->rollback));
  EXPECT_EQ(back->views_schema, "public_v2");
}

TEST(DeclarativeExpr, RewritesColumnsAndNothingElse) {
  auto r = RewriteColumns(
      "lower(\"Name\") || name || 'name' || upper(x)",
      [](const std::string& c) -> std::optional<std::string> { return "NEW.\"" + c + "\""; });
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(*r, "lower(NEW.\"Name\") || NEW.\"name\" || 'name' || upper(NEW.\"x\")");
  EXPECT_FALSE(ParseRowExpression("t.a + 1").ok());
  EXPECT_FALSE(ParseRowExpression("count(*) OVER ()").ok());
  EXPECT_EQ(ViewsSchemaName("public", "1.1"), "public_v1_1");
  EXPECT_EQ(NewReleaseSearchPath("App", "2"), "\"App_v2\", \"App\"");
}

}  // namespace
}  // namespace tide::ops
