// Rules about partitioned tables: an index on the parent, ATTACH and DETACH.
#include <gtest/gtest.h>

#include "lint/lint_testing.h"

namespace tide::lint {
namespace {

using testing::Has;
using testing::LintFiles;
using testing::LintSql;

const char* kCreate =
    "CREATE TABLE m (id bigint, ts date, v int) PARTITION BY RANGE (ts);\n"
    "CREATE TABLE m_2024_01 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');\n"
    "CREATE TABLE staging (id bigint, ts date, v int);\n";

TEST(LintPartitionRules, CreateIndexOnAPartitionedTable) {
  auto files = LintFiles({{"V1__create.sql", kCreate}, {"V2__index.sql", "CREATE INDEX i ON m (v);"}});
  Finding f = TIDE_ONE_FINDING(files[1], "create-index-partitioned");
  EXPECT_EQ(f.rule_severity, Severity::kError);
  EXPECT_TRUE(f.auto_safe);
  EXPECT_NE(f.migrate.find("ON ONLY"), std::string::npos) << f.migrate;
  // Not also told to add CONCURRENTLY, which PostgreSQL refuses on a partitioned table.
  EXPECT_FALSE(Has(files[1], "create-index-non-concurrent"));
  auto concurrent = LintFiles(
      {{"V1__create.sql", kCreate}, {"V2__index.sql", "CREATE INDEX CONCURRENTLY i ON m (v);"}});
  Finding c = TIDE_ONE_FINDING(concurrent[1], "create-index-partitioned");
  EXPECT_NE(c.message.find("fails"), std::string::npos) << c.message;
  EXPECT_TRUE(c.auto_safe);
  // ON ONLY builds nothing; a plain table keeps its own rule; a table of the file is new.
  EXPECT_FALSE(Has(LintFiles({{"V1__create.sql", kCreate},
                              {"V2__index.sql", "CREATE INDEX i ON ONLY m (v);"}})[1],
                   "create-index-partitioned"));
  EXPECT_FALSE(Has(LintSql("CREATE INDEX i ON customers (v);"), "create-index-partitioned"));
  EXPECT_FALSE(Has(LintSql(std::string(kCreate) + "CREATE INDEX i ON m (v);"),
                   "create-index-partitioned"));
}

TEST(LintPartitionRules, AttachPartitionOfAnExistingTable) {
  const char* attach =
      "ALTER TABLE m ATTACH PARTITION staging FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');";
  auto files = LintFiles({{"V1__create.sql", kCreate}, {"V2__attach.sql", attach}});
  Finding f = TIDE_ONE_FINDING(files[1], "attach-partition");
  EXPECT_TRUE(f.auto_safe);
  EXPECT_NE(f.migrate.find("NOT VALID"), std::string::npos) << f.migrate;
  EXPECT_FALSE(Has(LintSql(std::string(kCreate) + attach), "attach-partition"));
}

TEST(LintPartitionRules, DetachIsMadeConcurrentFromPostgres14) {
  const char* detach = "ALTER TABLE m DETACH PARTITION m_2024_01;";
  Finding on15 = TIDE_ONE_FINDING(LintSql(detach), "detach-partition");
  EXPECT_TRUE(on15.auto_safe);
  EXPECT_NE(on15.migrate.find("CONCURRENTLY"), std::string::npos);
  Finding on13 = TIDE_ONE_FINDING(LintSql(detach, {.pg_version = 13}), "detach-partition");
  EXPECT_FALSE(on13.auto_safe);
}

}  // namespace
}  // namespace tide::lint
