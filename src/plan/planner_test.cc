#include "plan/planner.h"

#include <gtest/gtest.h>

#include "plan/names.h"

namespace tide::plan {
namespace {

TableFacts BigCustomers() {
  TableFacts f;
  f.rows = 2'000'000;
  f.small = false;
  f.quoted = "\"public\".\"customers\"";
  f.schema = "public";
  f.key = {"id"};
  f.key_types = {"bigint"};
  f.columns = {{"id", {"int8", {}, false}, true},
               {"name", {"text", {}, false}, true},
               {"contact_info", {"varchar", {255}, false}, false},
               {"email", {"varchar", {255}, false}, false}};
  return f;
}

class PlannerTest : public ::testing::Test {
 protected:
  Plan PlanOf(const std::string& sql, bool expect_ok = true) {
    auto script = sql::ClassifyScript(sql, "t.sql");
    EXPECT_TRUE(script.ok()) << script.error().ToString();
    scripts_.push_back(std::make_unique<sql::ClassifiedScript>(std::move(script).value()));
    Planner planner(catalog_, {});
    for (const auto& prior : priors_) planner.RememberPriorUpdates(*prior, "V1.1__prior.sql");
    auto plan = planner.PlanScript(*scripts_.back());
    EXPECT_EQ(plan.ok(), expect_ok);
    return plan.ok() ? std::move(plan).value() : Plan();
  }
  void Prior(const std::string& sql) {
    auto script = sql::ClassifyScript(sql, "prior.sql");
    priors_.push_back(std::make_unique<sql::ClassifiedScript>(std::move(script).value()));
  }
  FakeCatalog catalog_;
  std::vector<std::unique_ptr<sql::ClassifiedScript>> scripts_;
  std::vector<std::unique_ptr<sql::ClassifiedScript>> priors_;
};

const char* kSeedExpand =
    "ALTER TABLE customers ADD COLUMN email VARCHAR(255);\n"
    "UPDATE customers SET email = CONCAT(LOWER(REPLACE(name, ' ', '.')), '@legacy.example.com') "
    "WHERE email IS NULL;\n";
const char* kSeedContract =
    "ALTER TABLE customers ALTER COLUMN email SET NOT NULL;\n"
    "ALTER TABLE customers DROP COLUMN contact_info;\n"
    "CREATE INDEX idx_customers_email ON customers (email);\n";

TEST_F(PlannerTest, SeedExpandOnABigTableBatchesTheBackfill) {
  catalog_.tables["customers"] = BigCustomers();
  Plan plan = PlanOf(kSeedExpand);
  ASSERT_EQ(plan.steps.size(), 2u);
  EXPECT_EQ(plan.steps[0].kind, StepKind::kSql);
  EXPECT_EQ(plan.steps[0].lock, sql::Lock::kAccessExclusive);
  EXPECT_EQ(plan.steps[1].kind, StepKind::kBackfill);
  ASSERT_TRUE(plan.steps[1].backfill);
  EXPECT_EQ(plan.steps[1].backfill->key, std::vector<std::string>{"\"id\""});
  EXPECT_TRUE(plan.steps[1].backfill->live_end);  // WHERE email IS NULL converges
  EXPECT_EQ(plan.steps[1].backfill->where, "email IS NULL");
  EXPECT_NE(plan.steps[0].group, plan.steps[1].group);
  EXPECT_TRUE(plan.refusals.empty());
}

TEST_F(PlannerTest, SeedFilesOnAnEmptyTableRunAsWrittenInOneTransaction) {
  TableFacts empty = BigCustomers();
  empty.rows = 0;
  empty.small = true;
  catalog_.tables["customers"] = empty;
  Plan expand = PlanOf(kSeedExpand);
  ASSERT_EQ(expand.steps.size(), 2u);
  EXPECT_EQ(expand.steps[1].kind, StepKind::kSql);
  EXPECT_EQ(expand.GroupCount(), 1);
  Plan contract = PlanOf(kSeedContract);
  ASSERT_EQ(contract.steps.size(), 3u);
  EXPECT_EQ(contract.steps[0].sql, "ALTER TABLE customers ALTER COLUMN email SET NOT NULL");
  EXPECT_EQ(contract.steps[2].sql, "CREATE INDEX idx_customers_email ON customers (email)");
  EXPECT_EQ(contract.GroupCount(), 1);
}

TEST_F(PlannerTest, SeedContractOnABigTableCatchesUpThenUsesACheck) {
  catalog_.tables["customers"] = BigCustomers();
  Prior(kSeedExpand);
  Plan plan = PlanOf(kSeedContract);
  std::vector<StepKind> kinds;
  for (const auto& s : plan.steps) kinds.push_back(s.kind);
  std::vector<StepKind> want = {StepKind::kBackfill,
                                StepKind::kAddConstraintNotValid,
                                StepKind::kValidateConstraint,
                                StepKind::kSql,  // SET NOT NULL
                                StepKind::kSql,  // drop the check
                                StepKind::kSql,  // DROP COLUMN
                                StepKind::kCreateIndexConcurrently};
  ASSERT_EQ(kinds, want);
  const auto& catch_up = *plan.steps[0].backfill;
  EXPECT_EQ(catch_up.guard, "\"email\" IS NULL");
  EXPECT_TRUE(catch_up.live_end);
  EXPECT_NE(plan.steps[3].sql.find("SET NOT NULL"), std::string::npos);
  EXPECT_EQ(plan.steps[6].sql,
            "CREATE INDEX CONCURRENTLY idx_customers_email ON customers (email)");
  EXPECT_FALSE(plan.steps[6].transactional);
  // SET NOT NULL, the check's drop and DROP COLUMN share one short transaction.
  EXPECT_EQ(plan.steps[3].group, plan.steps[5].group);
  EXPECT_NE(plan.steps[2].group, plan.steps[3].group);
}

// Issue 15: a small table runs the contract as written, but the catch-up that makes its SET NOT
// NULL hold still runs first (without it the ALTER fails with 23502 on the old release's rows).
TEST_F(PlannerTest, SeedContractOnASmallTableStillCatchesUpFirst) {
  TableFacts small = BigCustomers();
  small.rows = 1000;
  small.small = true;
  catalog_.tables["customers"] = small;
  Prior(kSeedExpand);
  Plan plan = PlanOf(kSeedContract);
  ASSERT_EQ(plan.steps.size(), 4u);
  EXPECT_EQ(plan.steps[0].kind, StepKind::kSql);
  EXPECT_TRUE(IsCatchUp(plan.steps[0]));
  EXPECT_EQ(plan.steps[0].sql,
            "UPDATE customers SET email = CONCAT(LOWER(REPLACE(name, ' ', '.')), "
            "'@legacy.example.com') WHERE (email IS NULL) AND \"email\" IS NULL");
  EXPECT_EQ(plan.steps[1].sql, "ALTER TABLE customers ALTER COLUMN email SET NOT NULL");
  EXPECT_EQ(plan.GroupCount(), 1);  // one transaction, as the file as written
  auto back = Plan::FromJson(plan.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(IsCatchUp(back->steps[0]));
  EXPECT_FALSE(IsCatchUp(back->steps[1]));
}

// Issue 23: without a key no batch walk changes each row exactly once (see PlanDml).
TEST_F(PlannerTest, WholeTableDmlOnABigTableWithoutAKeyIsRefusedUnlessAllowed) {
  TableFacts keyless = BigCustomers();
  keyless.key.clear();
  keyless.key_types.clear();
  catalog_.tables["customers"] = keyless;
  for (const char* sql : {"UPDATE customers SET name = upper(name);\n",
                          "DELETE FROM customers WHERE contact_info IS NULL;\n",
                          "UPDATE customers SET email = name WHERE email IS NULL;\n"}) {
    SCOPED_TRACE(sql);
    Plan plan = PlanOf(sql);
    ASSERT_EQ(plan.refusals.size(), 1u);
    EXPECT_EQ(plan.refusals[0].rule, "backfill-without-key");
    EXPECT_NE(plan.refusals[0].message.find("no primary key"), std::string::npos);
    Plan allowed =
        PlanOf(std::string("-- tide:allow backfill-without-key one transaction is fine\n") + sql);
    EXPECT_TRUE(allowed.refusals.empty());
    ASSERT_EQ(allowed.steps.size(), 1u);
    EXPECT_EQ(allowed.steps[0].kind, StepKind::kSql);
    EXPECT_TRUE(allowed.steps[0].own_transaction);
  }
  // A key the UPDATE changes is no identity either: the row moves ahead of the walk.
  catalog_.tables["orders"] = BigCustomers();
  catalog_.tables["orders"].quoted = "\"public\".\"orders\"";
  Plan renumber = PlanOf("UPDATE orders SET id = id + 1;\n");
  ASSERT_EQ(renumber.refusals.size(), 1u);
  EXPECT_NE(renumber.refusals[0].message.find("sets id"), std::string::npos);
  // The contract's catch-up on it is one statement: it locks only the rows still NULL.
  Prior(kSeedExpand);
  Plan contract = PlanOf(kSeedContract);
  ASSERT_FALSE(contract.steps.empty());
  EXPECT_EQ(contract.steps[0].kind, StepKind::kSql);
  EXPECT_TRUE(IsCatchUp(contract.steps[0]));
  EXPECT_TRUE(contract.steps[0].own_transaction);
  EXPECT_EQ(contract.steps[1].kind, StepKind::kAddConstraintNotValid);
  EXPECT_TRUE(contract.refusals.empty());
}

TEST_F(PlannerTest, UnsafeStatementsAreRefusedUnlessAllowed) {
  catalog_.tables["customers"] = BigCustomers();
  Plan plan = PlanOf("ALTER TABLE customers ALTER COLUMN id TYPE numeric;\n"
                     "VACUUM FULL customers;\n"
                     "ALTER TABLE customers ADD COLUMN u uuid DEFAULT gen_random_uuid();\n"
                     "LOCK TABLE customers;\n");
  ASSERT_EQ(plan.refusals.size(), 4u);
  EXPECT_EQ(plan.refusals[0].rule, "rewrite-column-type");
  EXPECT_EQ(plan.refusals[1].rule, "vacuum-full");
  EXPECT_EQ(plan.refusals[2].rule, "volatile-default");
  EXPECT_EQ(plan.refusals[3].rule, "lock-table");
  EXPECT_NE(plan.refusals[0].message.find("2,000,000 rows"), std::string::npos);
  Plan allowed = PlanOf(
      "-- tide:allow rewrite-column-type the app tolerates a minute of downtime\n"
      "ALTER TABLE customers ALTER COLUMN id TYPE numeric;\n");
  EXPECT_TRUE(allowed.refusals.empty());
  ASSERT_EQ(allowed.steps.size(), 1u);
  EXPECT_FALSE(allowed.notes.empty());
}

TEST_F(PlannerTest, BinaryCoercibleTypeChangesAndStableDefaultsRunAsWritten) {
  catalog_.tables["customers"] = BigCustomers();
  Plan plan = PlanOf("ALTER TABLE customers ALTER COLUMN contact_info TYPE varchar(500);\n"
                     "ALTER TABLE customers ALTER COLUMN contact_info TYPE text;\n"
                     "ALTER TABLE customers ADD COLUMN at timestamptz DEFAULT now();\n");
  EXPECT_TRUE(plan.refusals.empty());
  EXPECT_EQ(plan.steps.size(), 3u);
  // A user-defined volatile function counts too, through the catalog.
  catalog_.volatile_functions["next_code"] = true;
  Plan udf = PlanOf("ALTER TABLE customers ADD COLUMN code int DEFAULT next_code();");
  ASSERT_EQ(udf.refusals.size(), 1u);
}

TEST_F(PlannerTest, ForeignKeyAndCheckGoThroughNotValid) {
  catalog_.tables["customers"] = BigCustomers();
  Plan plan = PlanOf("ALTER TABLE customers ADD CONSTRAINT c_name CHECK (length(name) > 0), "
                     "ADD FOREIGN KEY (id) REFERENCES other (id);\n");
  ASSERT_EQ(plan.steps.size(), 4u);
  EXPECT_EQ(plan.steps[0].sql,
            "ALTER TABLE customers ADD CONSTRAINT c_name CHECK (length(name) > 0) NOT VALID");
  EXPECT_EQ(plan.steps[1].kind, StepKind::kValidateConstraint);
  EXPECT_NE(plan.steps[1].sql.find("\"c_name\""), std::string::npos);
  EXPECT_EQ(plan.steps[2].kind, StepKind::kAddConstraintNotValid);
  EXPECT_EQ(plan.steps[2].lock, sql::Lock::kShareRowExclusive);
  EXPECT_EQ(plan.steps[2].lock_tables.size(), 2u);
  EXPECT_EQ(plan.steps[3].constraint_from_step, 2);  // unnamed: the name is read when it runs
}

TEST_F(PlannerTest, UniqueAndPrimaryKeyThroughAConcurrentIndex) {
  catalog_.tables["customers"] = BigCustomers();
  catalog_.relations = {"customers_email_key"};
  Plan plan = PlanOf("ALTER TABLE customers ADD UNIQUE (email);");
  ASSERT_EQ(plan.steps.size(), 2u);
  // PostgreSQL would call it customers_email_key, taken here, so customers_email_key1.
  EXPECT_EQ(plan.steps[0].sql,
            "CREATE UNIQUE INDEX CONCURRENTLY \"customers_email_key1\" ON \"public\".\"customers\" "
            "(\"email\")");
  EXPECT_EQ(plan.steps[1].sql,
            "ALTER TABLE customers ADD CONSTRAINT \"customers_email_key1\" UNIQUE USING INDEX "
            "\"customers_email_key1\"");
  Plan pk = PlanOf("ALTER TABLE customers ADD PRIMARY KEY (contact_info);");
  // contact_info is nullable: NOT NULL through a check first, then the index, then attach.
  EXPECT_EQ(pk.steps.front().kind, StepKind::kAddConstraintNotValid);
  EXPECT_EQ(pk.steps[pk.steps.size() - 2].object_name, "customers_pkey");
}

TEST_F(PlannerTest, TargetedUpdatesAndNewTablesRunAsWritten) {
  catalog_.tables["customers"] = BigCustomers();
  Plan plan = PlanOf("UPDATE customers SET name = 'x' WHERE id = 5;\n"
                     "CREATE TABLE invoices (id bigint PRIMARY KEY, n int);\n"
                     "CREATE INDEX ON invoices (n);\n"
                     "UPDATE invoices SET n = 1;\n");
  ASSERT_EQ(plan.steps.size(), 4u);
  for (const auto& s : plan.steps) EXPECT_EQ(s.kind, StepKind::kSql) << s.sql;
  EXPECT_EQ(plan.GroupCount(), 1);
}

TEST_F(PlannerTest, PlanSurvivesJson) {
  catalog_.tables["customers"] = BigCustomers();
  Prior(kSeedExpand);
  Plan plan = PlanOf(kSeedContract);
  auto back = Plan::FromJson(plan.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->ToJson(), plan.ToJson());
}

// A stored plan is read back by a later run, perhaps of a later tide: the names are the format.
TEST(StoredPlanTest, KeepsItsFieldNamesAndRefusesWhatItCannotRead) {
  Plan plan;
  Step s;
  s.kind = StepKind::kBackfill;
  s.sql = "UPDATE t SET a = 1";
  s.lock = sql::Lock::kRowExclusive;
  s.backfill = BackfillSpec{};
  s.backfill->key = {"\"id\""};
  plan.steps.push_back(s);
  plan.refusals.push_back({2, 7, "rewrite-column-type", "rewrites", "add a column"});
  plan.notes.push_back({1, 3, "backfill", "batched"});
  nlohmann::json j = plan.ToJson();
  EXPECT_EQ(j["steps"][0]["kind"], "backfill");
  EXPECT_EQ(j["steps"][0]["lock"], "ROW EXCLUSIVE");
  EXPECT_EQ(j["steps"][0]["lock_mode"], static_cast<int>(sql::Lock::kRowExclusive));
  EXPECT_EQ(j["steps"][0]["backfill"]["key"][0], "\"id\"");
  EXPECT_EQ(j["refusals"][0]["rule"], "rewrite-column-type");
  EXPECT_EQ(j["notes"][0]["text"], "batched");
  // A plan stored before steps recorded their column reads back with column 0.
  nlohmann::json old = j;
  old["steps"][0].erase("column");
  auto back = Plan::FromJson(old);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->steps[0].column, 0);
  EXPECT_EQ(back->steps[0].backfill->key, s.backfill->key);
  // A kind this tide does not know is refused, not run as SQL.
  nlohmann::json unknown = j;
  unknown["steps"][0]["kind"] = "rewrite_table_online";
  EXPECT_FALSE(Plan::FromJson(unknown).ok());
  nlohmann::json missing = j;
  missing["steps"][0].erase("sql");
  EXPECT_FALSE(Plan::FromJson(missing).ok());
}

TEST(NamesTest, PostgresNamingRules) {
  EXPECT_EQ(MakeObjectName("customers", "email", "key"), "customers_email_key");
  std::string long_table(60, 't');
  std::string name = MakeObjectName(long_table, "email", "key");
  EXPECT_EQ(name.size(), 63u);
  EXPECT_EQ(name.substr(name.size() - 10), "_email_key");
  auto none = [](const std::string&) -> Result<bool> { return false; };
  EXPECT_EQ(ConstraintIndexName("t", {"a", "b"}, false, none).value(), "t_a_b_key");
  EXPECT_EQ(ConstraintIndexName("t", {"a"}, true, none).value(), "t_pkey");
}

TEST_F(PlannerTest, OfflineReindexOfANamedIndexGoesConcurrent) {
  OfflineCatalog offline;
  auto script = sql::ClassifyScript("REINDEX INDEX idx_customers_email;\n", "r.sql");
  ASSERT_TRUE(script.ok());
  Planner planner(offline, {});
  auto plan = planner.PlanScript(*script);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->steps.size(), 1u);
  EXPECT_EQ(plan->steps[0].kind, StepKind::kReindexConcurrently);
  EXPECT_EQ(plan->steps[0].sql, "REINDEX INDEX CONCURRENTLY idx_customers_email");
}

TEST_F(PlannerTest, DatabaseWideVacuumFullAndClusterAreRefused) {
  Plan plan = PlanOf("VACUUM FULL;\nCLUSTER;\n");
  ASSERT_EQ(plan.refusals.size(), 2u);
  EXPECT_EQ(plan.refusals[0].rule, "vacuum-full");
  EXPECT_EQ(plan.refusals[1].rule, "cluster");
}

TEST_F(PlannerTest, ValidateAfterItsNotValidAndEnumValuesGetTheirOwnTransaction) {
  catalog_.tables["customers"] = BigCustomers();
  Plan plan = PlanOf(
      "ALTER TABLE customers ADD CONSTRAINT c_name CHECK (name <> '') NOT VALID;\n"
      "ALTER TABLE customers VALIDATE CONSTRAINT c_name;\n"
      "ALTER TYPE mood ADD VALUE 'meh';\n"
      "UPDATE customers SET name = 'meh' WHERE id = 1;\n");
  std::vector<std::string> rules;
  for (const auto& n : plan.notes) rules.push_back(n.rule);
  EXPECT_EQ(rules, (std::vector<std::string>{"validate-own-transaction",
                                             "enum-value-own-transaction"}));
  EXPECT_NE(plan.steps[0].group, plan.steps[1].group);
  EXPECT_NE(plan.steps[2].group, plan.steps[3].group);
  // A VALIDATE of a constraint added elsewhere, and a last ADD VALUE, need no note.
  Plan alone = PlanOf("ALTER TABLE customers VALIDATE CONSTRAINT c_other;\n"
                      "ALTER TYPE mood ADD VALUE 'meh';\n");
  EXPECT_TRUE(alone.notes.empty());
}

}  // namespace
}  // namespace tide::plan
