// Rules about locks, scans and rewrites: each flagged once, and its near misses clean.
#include <gtest/gtest.h>

#include "lint/lint_testing.h"

namespace tide::lint {
namespace {

using testing::Has;
using testing::LintSql;
using testing::Of;

TEST(LintLockRules, CreateIndexNonConcurrent) {
  auto r = LintSql("CREATE INDEX idx_customers_email ON customers (email);");
  Finding f = TIDE_ONE_FINDING(r, "create-index-non-concurrent");
  EXPECT_EQ(f.rule_severity, Severity::kError);
  EXPECT_TRUE(f.auto_safe);  // tide migrate runs it CONCURRENTLY
  EXPECT_EQ(f.severity, Severity::kNote);
  EXPECT_NE(f.migrate.find("CONCURRENTLY"), std::string::npos);
  EXPECT_EQ(f.line, 1);
  EXPECT_EQ(f.column, 1);
  EXPECT_FALSE(Has(LintSql("CREATE INDEX CONCURRENTLY i ON customers (email);"),
                   "create-index-non-concurrent"));
  // A table the file creates is new and empty: exempt.
  EXPECT_TRUE(LintSql("CREATE TABLE invoices (id bigint, n int);\n"
                      "CREATE INDEX invoices_n ON invoices (n);")
                  .findings.empty());
}

TEST(LintLockRules, DropIndexNonConcurrent) {
  auto r = LintSql("DROP INDEX idx_old;");
  Finding f = TIDE_ONE_FINDING(r, "drop-index-non-concurrent");
  EXPECT_EQ(f.rule_severity, Severity::kWarning);
  EXPECT_TRUE(f.auto_safe);
  // CASCADE cannot be made concurrent: the file must change.
  EXPECT_FALSE(TIDE_ONE_FINDING(LintSql("DROP INDEX idx_old CASCADE;"), "drop-index-non-concurrent")
                   .auto_safe);
  EXPECT_FALSE(Has(LintSql("DROP INDEX CONCURRENTLY idx_old;"), "drop-index-non-concurrent"));
  EXPECT_FALSE(Has(LintSql("CREATE TABLE t (a int);\nCREATE INDEX t_a ON t (a);\nDROP INDEX t_a;"),
                   "drop-index-non-concurrent"));
}

TEST(LintLockRules, ReindexNonConcurrent) {
  auto r = LintSql("REINDEX INDEX idx_customers_email;\nREINDEX TABLE customers;");
  auto found = Of(r, "reindex-non-concurrent");
  ASSERT_EQ(found.size(), 2u);
  EXPECT_TRUE(found[0].auto_safe);
  EXPECT_TRUE(found[1].auto_safe);
  EXPECT_FALSE(
      Has(LintSql("REINDEX INDEX CONCURRENTLY idx_customers_email;"), "reindex-non-concurrent"));
}

TEST(LintLockRules, ConcurrentlyInTransaction) {
  auto r = LintSql("BEGIN;\nCREATE INDEX CONCURRENTLY i ON customers (email);\nCOMMIT;");
  Finding f = TIDE_ONE_FINDING(r, "concurrently-in-transaction");
  EXPECT_EQ(f.line, 2);
  EXPECT_NE(f.message.find("line 1"), std::string::npos);
  EXPECT_TRUE(f.auto_safe);  // tide skips the file's BEGIN/COMMIT
  EXPECT_FALSE(Has(LintSql("CREATE INDEX CONCURRENTLY i ON customers (email);"),
                   "concurrently-in-transaction"));
  EXPECT_FALSE(Has(LintSql("BEGIN;\nCOMMIT;\nCREATE INDEX CONCURRENTLY i ON customers (email);"),
                   "concurrently-in-transaction"));
}

TEST(LintLockRules, VolatileDefault) {
  for (const char* sql :
       {"ALTER TABLE customers ADD COLUMN at timestamptz DEFAULT clock_timestamp();",
        "ALTER TABLE customers ADD COLUMN r float8 DEFAULT random();",
        "ALTER TABLE customers ADD COLUMN u uuid DEFAULT gen_random_uuid();",
        "ALTER TABLE customers ADD COLUMN n bigint DEFAULT nextval('s');",
        "ALTER TABLE customers ADD COLUMN n bigserial;"}) {
    Finding f = TIDE_ONE_FINDING(LintSql(sql), "volatile-default");
    EXPECT_FALSE(f.auto_safe) << sql;  // tide migrate refuses it: the file must change
    EXPECT_EQ(f.severity, Severity::kError) << sql;
  }
  // The near misses: now() and constants are stored once in the catalog.
  EXPECT_TRUE(
      LintSql("ALTER TABLE customers ADD COLUMN at timestamptz DEFAULT now();").findings.empty());
  EXPECT_TRUE(
      LintSql("ALTER TABLE customers ADD COLUMN n int NOT NULL DEFAULT 0;").findings.empty());
  EXPECT_TRUE(LintSql("CREATE TABLE t (a int);\n"
                      "ALTER TABLE t ADD COLUMN u uuid DEFAULT gen_random_uuid();")
                  .findings.empty());
}

TEST(LintLockRules, GeneratedStoredAndIdentity) {
  auto g = LintSql(
      "ALTER TABLE customers ADD COLUMN l int GENERATED ALWAYS AS (length(name)) "
      "STORED;");
  EXPECT_FALSE(TIDE_ONE_FINDING(g, "generated-stored").auto_safe);
  auto i = LintSql("ALTER TABLE customers ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY;");
  EXPECT_FALSE(TIDE_ONE_FINDING(i, "identity-column").auto_safe);
  EXPECT_FALSE(Has(i, "volatile-default"));
  EXPECT_TRUE(LintSql("CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN n bigint GENERATED "
                      "ALWAYS AS IDENTITY;")
                  .findings.empty());
  EXPECT_TRUE(LintSql("CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN l int GENERATED ALWAYS "
                      "AS (a + 1) STORED;")
                  .findings.empty());
  EXPECT_FALSE(Has(LintSql("ALTER TABLE customers ADD COLUMN l int;"), "generated-stored"));
}

TEST(LintLockRules, NotNullWithoutDefault) {
  auto r = LintSql("ALTER TABLE customers ADD COLUMN tier text NOT NULL;");
  Finding f = TIDE_ONE_FINDING(r, "not-null-without-default");
  EXPECT_EQ(f.column, 23);  // the clause, not the statement
  EXPECT_FALSE(f.auto_safe);
  EXPECT_FALSE(Has(LintSql("ALTER TABLE customers ADD COLUMN tier text NOT NULL DEFAULT 'free';"),
                   "not-null-without-default"));
  EXPECT_FALSE(
      Has(LintSql("ALTER TABLE customers ADD COLUMN tier text;"), "not-null-without-default"));
}

TEST(LintLockRules, SetNotNull) {
  auto r = LintSql("ALTER TABLE customers ALTER COLUMN email SET NOT NULL;");
  Finding f = TIDE_ONE_FINDING(r, "set-not-null");
  EXPECT_TRUE(f.auto_safe);  // through a NOT VALID check, validated, then SET NOT NULL
  // A validated CHECK (email IS NOT NULL) lets PostgreSQL skip the scan.
  EXPECT_FALSE(Has(LintSql("ALTER TABLE customers ADD CONSTRAINT email_nn CHECK (email IS NOT "
                           "NULL) NOT VALID;\nCOMMIT;\n"
                           "ALTER TABLE customers VALIDATE CONSTRAINT email_nn;\n"
                           "ALTER TABLE customers ALTER COLUMN email SET NOT NULL;"),
                   "set-not-null"));
  // NOT VALID alone proves nothing.
  EXPECT_TRUE(
      Has(LintSql("ALTER TABLE customers ADD CONSTRAINT email_nn CHECK (email IS NOT "
                  "NULL) NOT VALID;\nALTER TABLE customers ALTER COLUMN email SET NOT NULL;"),
          "set-not-null"));
  // The check may come from an earlier file of the folder.
  auto folder = testing::LintFiles(
      {{"V1__check.sql",
        "ALTER TABLE customers ADD CONSTRAINT email_nn CHECK (email IS NOT "
        "NULL) NOT VALID;"},
       {"V2__validate.sql", "ALTER TABLE customers VALIDATE CONSTRAINT email_nn;"},
       {"V3__not_null.sql", "ALTER TABLE customers ALTER COLUMN email SET NOT NULL;"}});
  EXPECT_FALSE(Has(folder[2], "set-not-null"));
}

TEST(LintLockRules, AddForeignKey) {
  auto r = LintSql(
      "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY "
      "(customer_id) REFERENCES customers (id);");
  Finding f = TIDE_ONE_FINDING(r, "add-foreign-key");
  EXPECT_TRUE(f.auto_safe);  // NOT VALID, then VALIDATE in its own transaction
  EXPECT_NE(f.message.find("customers"), std::string::npos);
  EXPECT_FALSE(Has(LintSql("ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (customer_id) "
                           "REFERENCES customers (id) NOT VALID;"),
                   "add-foreign-key"));
  // A new column without a default is all NULL: PostgreSQL does not scan.
  EXPECT_FALSE(
      Has(LintSql("ALTER TABLE orders ADD COLUMN coupon_id bigint REFERENCES coupons (id);"),
          "add-foreign-key"));
  // With a default it does; tide adds the column, then the key NOT VALID and VALIDATE.
  Finding inline_fk = TIDE_ONE_FINDING(
      LintSql("ALTER TABLE orders ADD COLUMN coupon_id bigint DEFAULT 1 REFERENCES coupons (id);"),
      "add-foreign-key");
  EXPECT_TRUE(inline_fk.auto_safe);
  EXPECT_NE(inline_fk.migrate.find("NOT VALID"), std::string::npos) << inline_fk.migrate;
}

TEST(LintLockRules, AddCheck) {
  auto r = LintSql("ALTER TABLE orders ADD CONSTRAINT amount_positive CHECK (amount > 0);");
  EXPECT_TRUE(TIDE_ONE_FINDING(r, "add-check").auto_safe);
  EXPECT_FALSE(Has(LintSql("ALTER TABLE orders ADD CONSTRAINT amount_positive CHECK (amount > 0) "
                           "NOT VALID;"),
                   "add-check"));
  // Written inline, tide splits it: the column, then the check NOT VALID and VALIDATE.
  EXPECT_TRUE(
      TIDE_ONE_FINDING(LintSql("ALTER TABLE orders ADD COLUMN q int CHECK (q > 0);"), "add-check")
          .auto_safe);
  // NO INHERIT is not split (its stand-alone form differs): tide runs it as written.
  EXPECT_FALSE(TIDE_ONE_FINDING(LintSql("ALTER TABLE orders ADD COLUMN q int CHECK (q > 0) NO "
                                        "INHERIT;"),
                                "add-check")
                   .auto_safe);
}

TEST(LintLockRules, ValidateInSameTransaction) {
  auto r = LintSql(
      "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (customer_id) REFERENCES "
      "customers (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT fk;");
  Finding f = TIDE_ONE_FINDING(r, "validate-in-same-transaction");
  EXPECT_EQ(f.line, 2);
  EXPECT_TRUE(f.auto_safe);  // tide commits between them
  EXPECT_NE(f.reason.find("SHARE ROW EXCLUSIVE"), std::string::npos);
  // Committed in between, or validated in a later file: fine.
  EXPECT_FALSE(Has(LintSql("ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (customer_id) "
                           "REFERENCES customers (id) NOT VALID;\nCOMMIT;\n"
                           "ALTER TABLE orders VALIDATE CONSTRAINT fk;"),
                   "validate-in-same-transaction"));
  EXPECT_TRUE(LintSql("ALTER TABLE orders VALIDATE CONSTRAINT fk;").findings.empty());
}

TEST(LintLockRules, AddUniqueConstraint) {
  auto r = LintSql("ALTER TABLE customers ADD CONSTRAINT customers_email_key UNIQUE (email);");
  EXPECT_TRUE(TIDE_ONE_FINDING(r, "add-unique-constraint").auto_safe);
  auto pk = LintSql("ALTER TABLE events ADD PRIMARY KEY (id);");
  EXPECT_TRUE(TIDE_ONE_FINDING(pk, "add-unique-constraint").auto_safe);
  // Options tide cannot carry to CREATE UNIQUE INDEX: refused, the file must change.
  auto with_options = LintSql("ALTER TABLE customers ADD UNIQUE (email) WITH (fillfactor = 70);");
  EXPECT_FALSE(TIDE_ONE_FINDING(with_options, "add-unique-constraint").auto_safe);
  EXPECT_FALSE(Has(LintSql("ALTER TABLE customers ADD CONSTRAINT k UNIQUE USING INDEX k;"),
                   "add-unique-constraint"));
}

TEST(LintLockRules, ExclusionConstraint) {
  auto r = LintSql(
      "ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist "
      "(room WITH =, during WITH &&);");
  EXPECT_FALSE(TIDE_ONE_FINDING(r, "exclusion-constraint").auto_safe);
  EXPECT_FALSE(Has(LintSql("CREATE TABLE bookings (room int, during tstzrange);\n"
                           "ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist "
                           "(room WITH =, during WITH &&);"),
                   "exclusion-constraint"));
}

TEST(LintLockRules, RewriteColumnType) {
  // The type it changes from is known from an earlier file of the folder.
  auto files = testing::LintFiles(
      {{"V1__create.sql", "CREATE TABLE customers (id bigint, contact_info varchar(255), n int);"},
       {"V2__widen.sql", "ALTER TABLE customers ALTER COLUMN contact_info TYPE varchar(500);"},
       {"V3__text.sql", "ALTER TABLE customers ALTER COLUMN contact_info TYPE text;"},
       {"V4__int.sql", "ALTER TABLE customers ALTER COLUMN n TYPE bigint;"},
       {"V5__narrow.sql", "ALTER TABLE customers ALTER COLUMN contact_info TYPE varchar(20);"}});
  EXPECT_TRUE(files[1].findings.empty());  // varchar widening: no rewrite
  EXPECT_TRUE(files[2].findings.empty());  // varchar -> text: no rewrite
  Finding f = TIDE_ONE_FINDING(files[3], "rewrite-column-type");
  EXPECT_EQ(f.severity, Severity::kError);
  EXPECT_NE(f.message.find("from int4 to int8"), std::string::npos);
  EXPECT_EQ(TIDE_ONE_FINDING(files[4], "rewrite-column-type").severity, Severity::kError);
  // Unknown current type: a warning (tide migrate checks when it runs); USING always rewrites.
  EXPECT_EQ(TIDE_ONE_FINDING(LintSql("ALTER TABLE orders ALTER COLUMN n TYPE bigint;"),
                             "rewrite-column-type")
                .severity,
            Severity::kWarning);
  EXPECT_EQ(
      TIDE_ONE_FINDING(LintSql("ALTER TABLE orders ALTER COLUMN n TYPE bigint USING n::bigint;"),
                       "rewrite-column-type")
          .severity,
      Severity::kError);
}

TEST(LintLockRules, RewriteTable) {
  for (const char* sql :
       {"ALTER TABLE events SET TABLESPACE fast;", "ALTER TABLE events SET LOGGED;",
        "ALTER TABLE events SET ACCESS METHOD heap2;"}) {
    EXPECT_FALSE(TIDE_ONE_FINDING(LintSql(sql), "rewrite-table").auto_safe) << sql;
  }
  EXPECT_TRUE(LintSql("ALTER TABLE events SET (fillfactor = 70);").findings.empty());
}

TEST(LintLockRules, DetachPartitionDependsOnTheVersion) {
  const char* plain = "ALTER TABLE measurements DETACH PARTITION measurements_2020;";
  const char* concurrent =
      "ALTER TABLE measurements DETACH PARTITION measurements_2020 CONCURRENTLY;";
  Finding on15 = TIDE_ONE_FINDING(LintSql(plain), "detach-partition");
  EXPECT_NE(on15.help.find("CONCURRENTLY"), std::string::npos);
  Finding on13 = TIDE_ONE_FINDING(LintSql(plain, {.pg_version = 13}), "detach-partition");
  EXPECT_NE(on13.help.find("no concurrent form"), std::string::npos);
  EXPECT_FALSE(Has(LintSql(concurrent), "detach-partition"));
  Finding old = TIDE_ONE_FINDING(LintSql(concurrent, {.pg_version = 12}), "detach-partition");
  EXPECT_EQ(old.severity, Severity::kError);
}

TEST(LintLockRules, MaintenanceStatements) {
  EXPECT_TRUE(Has(LintSql("VACUUM FULL customers;"), "vacuum-full"));
  EXPECT_TRUE(Has(LintSql("VACUUM FULL;"), "vacuum-full"));
  EXPECT_FALSE(Has(LintSql("VACUUM customers;"), "vacuum-full"));
  EXPECT_TRUE(Has(LintSql("CLUSTER customers USING customers_pkey;"), "cluster"));
  EXPECT_TRUE(Has(LintSql("LOCK TABLE customers;"), "lock-table"));
  EXPECT_TRUE(Has(LintSql("LOCK TABLE customers IN SHARE MODE;"), "lock-table"));
  EXPECT_FALSE(Has(LintSql("LOCK TABLE customers IN ROW EXCLUSIVE MODE;"), "lock-table"));
  EXPECT_TRUE(Has(LintSql("TRUNCATE customers;"), "truncate"));
  EXPECT_TRUE(LintSql("CREATE TABLE scratch (a int);\nTRUNCATE scratch;\nVACUUM FULL scratch;\n"
                      "LOCK TABLE scratch;\nCLUSTER scratch USING scratch_pkey;")
                  .findings.empty());
  for (const char* rule : {"vacuum-full", "cluster", "lock-table", "truncate"}) {
    auto r = LintSql(std::string(rule) == "vacuum-full"  ? "VACUUM FULL customers;"
                     : std::string(rule) == "cluster"    ? "CLUSTER customers;"
                     : std::string(rule) == "lock-table" ? "LOCK TABLE customers;"
                                                         : "TRUNCATE customers;");
    EXPECT_FALSE(TIDE_ONE_FINDING(r, rule).auto_safe) << rule;
  }
}

}  // namespace
}  // namespace tide::lint
