// Flyway's SQL callbacks: which run, in what order, and in which transaction.
#include <gtest/gtest.h>

#include "harness.h"

namespace tide::testing {
namespace {

class CliFlywayCallbacksTest : public DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    for (const char* event :
         {"beforeRepeatables", "beforeEachMigrate", "afterEachMigrate", "afterEachMigrateError",
          "afterMigrateApplied", "afterVersioned", "afterMigrateError", "afterMigrate"}) {
      Log(event, event);
    }
    dir_.Write("migrations/beforeMigrate.sql",
               "CREATE TABLE IF NOT EXISTS public.callback_log (id bigserial, event text);\n"
               "INSERT INTO public.callback_log (event) VALUES ('beforeMigrate');\n");
    // Two more for one event: run by description, the bare one first.
    Log("afterMigrate__b_second", "afterMigrate b");
    Log("callbacks/afterMigrate__a_first", "afterMigrate a");
    dir_.Write("migrations/V1__one.sql", "CREATE TABLE one (id int);\n");
    dir_.Write("migrations/V2__two.sql", "CREATE TABLE two (id int);\n");
    dir_.Write("migrations/R__view.sql", "CREATE OR REPLACE VIEW v AS SELECT id FROM one;\n");
  }
  void Log(const std::string& file, const std::string& event) {
    dir_.Write("migrations/" + file + ".sql",
               "INSERT INTO public.callback_log (event) VALUES ('" + event + "');\n");
  }
  TideRun Tide(std::vector<std::string> args) {
    args.insert(args.begin(), {"--url", url()});
    return RunTide(args, dir_.path());
  }
  std::string Events() {
    return Value("SELECT string_agg(event, ',' ORDER BY id) FROM public.callback_log");
  }
  TempDir dir_;
};

TEST_F(CliFlywayCallbacksTest, RunInFlywaysOrder) {
  TideRun r = Tide({"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(Events(),
            "beforeMigrate,"
            "beforeEachMigrate,afterEachMigrate,"  // V1
            "beforeEachMigrate,afterEachMigrate,"  // V2
            "afterVersioned,beforeRepeatables,"
            "beforeEachMigrate,afterEachMigrate,"  // R__view
            "afterMigrateApplied,afterMigrate,afterMigrate a,afterMigrate b");
  EXPECT_NE(r.all().find("Executing SQL callback: afterMigrate - a first"), std::string::npos)
      << r.all();

  // Nothing pending: Flyway still fires beforeMigrate, afterVersioned and afterMigrate.
  (void)Sql("TRUNCATE public.callback_log");
  ASSERT_EQ(Tide({"migrate"}).exit_code, 0);
  EXPECT_EQ(Events(), "beforeMigrate,afterVersioned,afterMigrate,afterMigrate a,afterMigrate b");

  // flyway.skipDefaultCallbacks turns them off.
  (void)Sql("TRUNCATE public.callback_log");
  ASSERT_EQ(Tide({"-Dflyway.skipDefaultCallbacks=true", "migrate"}).exit_code, 0);
  EXPECT_EQ(Events(), "");
}

TEST_F(CliFlywayCallbacksTest, EachMigrateCallbacksShareTheMigrationsTransaction) {
  ASSERT_EQ(Tide({"migrate"}).exit_code, 0);
  (void)Sql("TRUNCATE public.callback_log");
  dir_.Write("migrations/V3__broken.sql",
             "CREATE TABLE three (id int);\nINSERT INTO three VALUES ('not a number');\n");
  TideRun r = Tide({"migrate"});
  EXPECT_EQ(r.exit_code, 1) << r.all();
  // beforeEachMigrate's row went down with V3's rollback; the error callbacks ran after it;
  // afterVersioned and afterMigrate did not run.
  EXPECT_EQ(Events(), "beforeMigrate,afterEachMigrateError,afterMigrateError");
  EXPECT_EQ(Value("SELECT count(*) FROM pg_tables WHERE tablename = 'three'"), "0");
}

TEST_F(CliFlywayCallbacksTest, NonTransactionalScriptsAndUnsupportedEvents) {
  // CREATE INDEX CONCURRENTLY cannot run in a transaction: the callback's .sql.conf says so.
  dir_.Write("migrations/afterMigrate__index.sql",
             "CREATE INDEX CONCURRENTLY IF NOT EXISTS one_id ON one (id);\n");
  dir_.Write("migrations/afterMigrate__index.sql.conf", "executeInTransaction=false\n");
  dir_.Write("migrations/beforeValidate.sql", "SELECT 1;\n");
  TideRun r = Tide({"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(Value("SELECT count(*) FROM pg_indexes WHERE indexname = 'one_id'"), "1");
  EXPECT_NE(r.err.find("beforeValidate.sql: tide does not run beforeValidate callbacks"),
            std::string::npos)
      << r.err;
  // A failing callback names itself and its line.
  dir_.Write("migrations/afterMigrate__index.sql", "SELECT 1;\nSELECT no_such_column FROM one;\n");
  r = Tide({"migrate"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("afterMigrate__index.sql:2:1: error while executing afterMigrate callback"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace tide::testing
