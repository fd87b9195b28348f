// Plans for partitioned tables against a fake catalog: the steps, their order and the names.
#include <gtest/gtest.h>

#include "plan/planner.h"

namespace tide::plan {
namespace {

class PartitionPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TableFacts m;
    m.rows = 1'000'000;
    m.small = false;
    m.partitioned = true;
    m.quoted = "\"public\".\"m\"";
    m.schema = "public";
    catalog_.tables["m"] = m;
    auto part = [](const std::string& name, const std::string& parent, int level) {
      PartitionFacts p;
      p.name = {"public", name};
      p.quoted = "\"public\".\"" + name + "\"";
      p.parent = {"public", parent};
      p.level = level;
      p.rows = 100'000;
      return p;
    };
    PartitionFacts sub = part("m_sub", "m", 1);
    sub.partitioned = true;
    sub.key_columns = {"v"};
    PartitionFacts def = part("m_default", "m", 1);
    def.is_default = true;
    catalog_.partitions["m"] = {part("m_2024_01", "m", 1), sub, part("m_sub_1", "m_sub", 2),
                                def};
    // A plain CREATE INDEX would find this name taken and choose m_2024_01_v_idx1.
    catalog_.relations = {"m_2024_01_v_idx"};
    catalog_.partition_keys["m"] = {"ts"};
  }
  Plan PlanOf(const std::string& sql) {
    auto script = sql::ClassifyScript(sql, "t.sql");
    EXPECT_TRUE(script.ok()) << script.error().ToString();
    scripts_.push_back(std::make_unique<sql::ClassifiedScript>(std::move(script).value()));
    Planner planner(catalog_, {});
    auto plan = planner.PlanScript(*scripts_.back());
    EXPECT_TRUE(plan.ok()) << plan.error().ToString();
    return plan.ok() ? std::move(plan).value() : Plan();
  }
  std::vector<std::string> Sqls(const Plan& plan) {
    std::vector<std::string> out;
    for (const auto& s : plan.steps) out.push_back(s.sql);
    return out;
  }
  FakeCatalog catalog_;
  std::vector<std::unique_ptr<sql::ClassifiedScript>> scripts_;
};

TEST_F(PartitionPlanTest, IndexOnlyOnTheParentThenEachPartitionConcurrentlyThenAttach) {
  Plan plan = PlanOf("CREATE INDEX ON m (v) INCLUDE (w);");
  EXPECT_TRUE(plan.refusals.empty());
  std::vector<std::string> want = {
      "CREATE INDEX \"m_v_w_idx\" ON ONLY \"public\".\"m\" (v) INCLUDE (w)",
      "CREATE INDEX CONCURRENTLY \"m_2024_01_v_w_idx\" ON \"public\".\"m_2024_01\" (v) INCLUDE (w)",
      "ALTER INDEX \"public\".\"m_v_w_idx\" ATTACH PARTITION \"public\".\"m_2024_01_v_w_idx\"",
      "CREATE INDEX \"m_sub_v_w_idx\" ON ONLY \"public\".\"m_sub\" (v) INCLUDE (w)",
      "ALTER INDEX \"public\".\"m_v_w_idx\" ATTACH PARTITION \"public\".\"m_sub_v_w_idx\"",
      "CREATE INDEX CONCURRENTLY \"m_sub_1_v_w_idx\" ON \"public\".\"m_sub_1\" (v) INCLUDE (w)",
      "ALTER INDEX \"public\".\"m_sub_v_w_idx\" ATTACH PARTITION \"public\".\"m_sub_1_v_w_idx\"",
      "CREATE INDEX CONCURRENTLY \"m_default_v_w_idx\" ON \"public\".\"m_default\" (v) INCLUDE (w)",
      "ALTER INDEX \"public\".\"m_v_w_idx\" ATTACH PARTITION \"public\".\"m_default_v_w_idx\""};
  EXPECT_EQ(Sqls(plan), want);
  ASSERT_EQ(plan.steps.size(), want.size());
  EXPECT_EQ(plan.steps[1].kind, StepKind::kCreateIndexConcurrently);
  EXPECT_EQ(plan.steps[1].object_name, "m_2024_01_v_w_idx");
  EXPECT_EQ(plan.steps[1].lock_tables, std::vector<std::string>{"\"public\".\"m_2024_01\""});
  EXPECT_FALSE(plan.steps[1].transactional);
  EXPECT_EQ(plan.steps[0].lock, sql::Lock::kShare);
  ASSERT_EQ(plan.notes.size(), 1u);
  EXPECT_EQ(plan.notes[0].rule, "create-index-partitioned");
}

TEST_F(PartitionPlanTest, NamesFollowPostgresRulesForTakenNamesAndExpressions) {
  Plan plan = PlanOf("CREATE UNIQUE INDEX CONCURRENTLY ON m (v, (v + 1), lower(w), v) WHERE v > 0");
  ASSERT_GE(plan.steps.size(), 3u);
  EXPECT_EQ(plan.steps[0].object_name, "m_v_expr_lower_v1_idx");
  EXPECT_EQ(plan.steps[0].sql,
            "CREATE UNIQUE INDEX \"m_v_expr_lower_v1_idx\" ON ONLY \"public\".\"m\" (v, (v + 1), "
            "lower(w), v) WHERE v > 0");
  EXPECT_EQ(plan.steps[1].object_name, "m_2024_01_v_expr_lower_v1_idx");
  Plan taken = PlanOf("CREATE INDEX ON m (v)");
  ASSERT_GE(taken.steps.size(), 2u);
  EXPECT_EQ(taken.steps[1].object_name, "m_2024_01_v_idx1");
}

TEST_F(PartitionPlanTest, UniqueWithoutASubPartitionsKeyRunsAsWritten) {
  // PostgreSQL refuses it before changing anything; tide must fail the same way.
  Plan plan = PlanOf("CREATE UNIQUE INDEX u ON m (ts, id)");
  ASSERT_EQ(plan.steps.size(), 1u);
  EXPECT_EQ(plan.steps[0].sql, "CREATE UNIQUE INDEX u ON m (ts, id)");
  ASSERT_EQ(plan.notes.size(), 1u);
  EXPECT_EQ(plan.notes[0].rule, "create-index-partitioned-as-written");
}

TEST_F(PartitionPlanTest, UniqueConstraintLeavesFirstThenLevelsThenTheStatement) {
  catalog_.partitions["m"][1].key_columns = {"id"};  // m_sub is partitioned by id
  catalog_.partition_keys["m"] = {"ts"};
  Plan plan = PlanOf("ALTER TABLE m ADD UNIQUE (id, ts)");
  std::vector<std::string> want = {
      "CREATE UNIQUE INDEX CONCURRENTLY \"m_2024_01_id_ts_key\" ON \"public\".\"m_2024_01\" "
      "(\"id\", \"ts\")",
      "ALTER TABLE \"public\".\"m_2024_01\" ADD CONSTRAINT \"m_2024_01_id_ts_key\" UNIQUE USING "
      "INDEX \"m_2024_01_id_ts_key\"",
      "CREATE UNIQUE INDEX CONCURRENTLY \"m_sub_1_id_ts_key\" ON \"public\".\"m_sub_1\" "
      "(\"id\", \"ts\")",
      "ALTER TABLE \"public\".\"m_sub_1\" ADD CONSTRAINT \"m_sub_1_id_ts_key\" UNIQUE USING "
      "INDEX \"m_sub_1_id_ts_key\"",
      "CREATE UNIQUE INDEX CONCURRENTLY \"m_default_id_ts_key\" ON \"public\".\"m_default\" "
      "(\"id\", \"ts\")",
      "ALTER TABLE \"public\".\"m_default\" ADD CONSTRAINT \"m_default_id_ts_key\" UNIQUE "
      "USING INDEX \"m_default_id_ts_key\"",
      "ALTER TABLE \"public\".\"m_sub\" ADD CONSTRAINT \"m_sub_id_ts_key\" UNIQUE (\"id\", "
      "\"ts\")",
      "ALTER TABLE m ADD UNIQUE (id, ts)"};
  EXPECT_EQ(Sqls(plan), want);
  // Without the partition key PostgreSQL refuses it before changing anything: as written.
  Plan refused = PlanOf("ALTER TABLE m ADD UNIQUE (id)");
  ASSERT_EQ(refused.steps.size(), 1u);
  EXPECT_EQ(refused.steps[0].sql, "ALTER TABLE m ADD UNIQUE (id)");
}

TEST_F(PartitionPlanTest, SmallPartitionedTableRunsAsWritten) {
  catalog_.tables["m"].small = true;
  catalog_.tables["m"].rows = 10;
  Plan plan = PlanOf("CREATE INDEX i ON m (v)");
  ASSERT_EQ(plan.steps.size(), 1u);
  EXPECT_EQ(plan.steps[0].sql, "CREATE INDEX i ON m (v)");
}

TEST_F(PartitionPlanTest, DetachConcurrentlyUnlessADefaultPartitionExists) {
  Plan with_default = PlanOf("ALTER TABLE m DETACH PARTITION m_2024_01");
  ASSERT_EQ(with_default.steps.size(), 1u);
  EXPECT_EQ(with_default.steps[0].kind, StepKind::kSql);
  ASSERT_EQ(with_default.notes.size(), 1u);
  EXPECT_EQ(with_default.notes[0].rule, "detach-partition-as-written");
  catalog_.partitions["m"].pop_back();  // no default partition
  Plan plan = PlanOf("ALTER TABLE m DETACH PARTITION m_2024_01");
  ASSERT_EQ(plan.steps.size(), 1u);
  EXPECT_EQ(plan.steps[0].kind, StepKind::kDetachPartitionConcurrently);
  EXPECT_EQ(plan.steps[0].sql,
            "ALTER TABLE \"public\".\"m\" DETACH PARTITION \"m_2024_01\" CONCURRENTLY");
  EXPECT_FALSE(plan.steps[0].transactional);
  catalog_.version = 130000;
  EXPECT_EQ(PlanOf("ALTER TABLE m DETACH PARTITION m_2024_01").steps[0].kind, StepKind::kSql);
}

TEST_F(PartitionPlanTest, AttachValidatesACheckOfTheBoundFirst) {
  TableFacts staging;
  staging.rows = 500'000;
  staging.small = false;
  staging.quoted = "\"public\".\"m_2024_02\"";
  catalog_.tables["m_2024_02"] = staging;
  Plan plan =
      PlanOf("ALTER TABLE m ATTACH PARTITION m_2024_02 FOR VALUES FROM ('2024-02-01') TO "
             "('2024-03-01')");
  ASSERT_EQ(plan.steps.size(), 4u);
  EXPECT_EQ(plan.steps[0].kind, StepKind::kAddConstraintNotValid);
  EXPECT_NE(plan.steps[0].sql.find("CHECK (\"ts\" IS NOT NULL AND \"ts\" >= '2024-02-01' AND "
                                   "\"ts\" < '2024-03-01') NOT VALID"),
            std::string::npos)
      << plan.steps[0].sql;
  EXPECT_EQ(plan.steps[1].kind, StepKind::kValidateConstraint);
  EXPECT_EQ(plan.steps[2].sql,
            "ALTER TABLE m ATTACH PARTITION m_2024_02 FOR VALUES FROM ('2024-02-01') TO "
            "('2024-03-01')");
  EXPECT_NE(plan.steps[3].sql.find("DROP CONSTRAINT \"tide_pb_m_2024_02_"), std::string::npos);
  // The default partition is big: the plan names its scan.
  catalog_.partitions["m"].back().rows = 5'000'000;
  Plan named = PlanOf("ALTER TABLE m ATTACH PARTITION m_2024_02 FOR VALUES FROM (MINVALUE) TO "
                      "('2024-03-01')");
  bool said = false;
  for (const auto& n : named.notes) {
    said = said || (n.rule == "attach-partition-default-scan" &&
                    n.text.find("m_default") != std::string::npos);
  }
  EXPECT_TRUE(said);
  EXPECT_NE(named.steps[0].sql.find("CHECK (\"ts\" IS NOT NULL AND \"ts\" < '2024-03-01')"),
            std::string::npos)
      << named.steps[0].sql;
  Plan list = PlanOf("ALTER TABLE m ATTACH PARTITION m_2024_02 FOR VALUES IN (1, NULL)");
  EXPECT_NE(list.steps[0].sql.find("CHECK (\"ts\" IS NULL OR \"ts\" IN (1))"), std::string::npos)
      << list.steps[0].sql;
}

}  // namespace
}  // namespace tide::plan

namespace tide::plan {
namespace {

TEST(InlineConstraintPlanTest, AddColumnWithInlineConstraintsIsSplit) {
  FakeCatalog catalog;
  TableFacts t;
  t.rows = 1'000'000;
  t.small = false;
  t.quoted = "\"public\".\"accounts\"";
  t.schema = "public";
  catalog.tables["accounts"] = t;
  auto script = sql::ClassifyScript(
      "ALTER TABLE accounts ADD COLUMN score int NOT NULL DEFAULT 1 CHECK (score > 0) UNIQUE",
      "t.sql");
  ASSERT_TRUE(script.ok());
  Planner planner(catalog, {});
  auto plan = planner.PlanScript(*script);
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  std::vector<std::string> sqls;
  for (const auto& s : plan->steps) sqls.push_back(s.sql);
  ASSERT_EQ(sqls.size(), 5u) << ::testing::PrintToString(sqls);
  EXPECT_EQ(sqls[0], "ALTER TABLE accounts ADD COLUMN score int NOT NULL DEFAULT 1");
  EXPECT_EQ(sqls[1], "ALTER TABLE accounts ADD CHECK (score > 0) NOT VALID");
  EXPECT_EQ(plan->steps[1].kind, StepKind::kAddConstraintNotValid);
  EXPECT_EQ(plan->steps[2].kind, StepKind::kValidateConstraint);
  EXPECT_EQ(plan->steps[2].constraint_from_step, 1);
  EXPECT_EQ(sqls[3],
            "CREATE UNIQUE INDEX CONCURRENTLY \"accounts_score_key\" ON \"public\".\"accounts\" "
            "(\"score\")");
  EXPECT_EQ(sqls[4],
            "ALTER TABLE accounts ADD CONSTRAINT \"accounts_score_key\" UNIQUE USING INDEX "
            "\"accounts_score_key\"");
  // Without a default an inline REFERENCES checks nothing: as written.
  auto fk = sql::ClassifyScript("ALTER TABLE accounts ADD COLUMN o bigint REFERENCES owners",
                                "t.sql");
  ASSERT_TRUE(fk.ok());
  auto fk_plan = planner.PlanScript(*fk);
  ASSERT_TRUE(fk_plan.ok());
  ASSERT_EQ(fk_plan->steps.size(), 1u);
}

}  // namespace
}  // namespace tide::plan
