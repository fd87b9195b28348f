// IndexBuilder against a stand-in server that keeps a table's index list: leftovers of a failed
// CREATE INDEX CONCURRENTLY are dropped, a finished build is not repeated, and nothing invalid
// stays behind, in milliseconds.
#include "exec/index_builder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "pg/fake_connection.h"

namespace tide::exec {
namespace {

struct Index {
  std::string name;
  bool valid;
};

// A server with one table whose indexes are `indexes`. The build statement fails `failures`
// times with `failure_state`, leaving an invalid index behind as PostgreSQL does.
struct Server {
  std::vector<Index> indexes;
  std::string build_sql = "CREATE INDEX CONCURRENTLY \"t_a_idx\" ON \"t\" (a)";
  std::string built_name = "t_a_idx";
  int failures = 0;
  std::string failure_state = "55P03";
  int builds = 0;
  std::vector<std::string> dropped;

  Result<pg::PgResult> Answer(std::string_view sql) {
    if (sql.starts_with("SELECT n.nspname")) return pg::MakeResult({"nspname"}, {{"public"}});
    if (sql.starts_with("SELECT c.relname, i.indisvalid")) {
      std::vector<std::vector<pg::Param>> rows;
      for (const auto& ix : indexes) rows.push_back({ix.name, ix.valid ? "t" : "f"});
      return pg::MakeResult({"relname", "indisvalid"}, rows);
    }
    const std::string drop = "DROP INDEX CONCURRENTLY IF EXISTS ";
    if (sql.starts_with(drop)) {
      std::string qualified(sql.substr(drop.size()));
      dropped.push_back(qualified);
      std::erase_if(indexes, [&](const Index& ix) {
        return qualified == "\"public\".\"" + ix.name + "\"";
      });
      return pg::CommandOk();
    }
    if (sql == build_sql) {
      ++builds;
      bool fails = builds <= failures;
      indexes.push_back({built_name, !fails});
      if (fails) return pg::ServerError(failure_state, "the build failed");
    }
    return pg::CommandOk();
  }
};

class IndexBuilderTest : public ::testing::Test {
 protected:
  plan::Step Step(bool named = true) {
    plan::Step s;
    s.kind = plan::StepKind::kCreateIndexConcurrently;
    s.sql = server_.build_sql;
    s.lock = sql::Lock::kShareUpdateExclusive;
    s.lock_tables = {"\"t\""};
    s.transactional = false;
    if (named) s.object_name = "t_a_idx";
    return s;
  }
  Status Build(const plan::Step& step) {
    LockRetry retry(conn_, LockPolicy{}, reporter_, clock_);
    IndexBuilder builder(conn_, retry, reporter_);
    return builder.Create(step, outputs_, 3, [this] {
      ++saves_;
      return Ok();
    });
  }
  int Valid() const {
    return static_cast<int>(std::count_if(server_.indexes.begin(), server_.indexes.end(),
                                          [](const Index& ix) { return ix.valid; }));
  }
  int Invalid() const { return static_cast<int>(server_.indexes.size()) - Valid(); }

  Server server_;
  pg::FakeConnection conn_{[this](std::string_view sql, const std::vector<pg::Param>&) {
    return server_.Answer(sql);
  }};
  FakeClock clock_;
  CollectingReporter reporter_;
  nlohmann::json outputs_ = nlohmann::json::object();
  int saves_ = 0;
};

TEST_F(IndexBuilderTest, AnInvalidLeftoverOfAnInterruptedRunIsDroppedBeforeTheBuild) {
  server_.indexes = {{"t_pkey", true}, {"t_a_idx", false}};
  ASSERT_TRUE(Build(Step()).ok());
  EXPECT_EQ(server_.dropped, std::vector<std::string>{"\"public\".\"t_a_idx\""});
  EXPECT_EQ(server_.builds, 1);
  EXPECT_EQ(Valid(), 2);
  EXPECT_EQ(Invalid(), 0);
}

TEST_F(IndexBuilderTest, AValidIndexOfTheSameNameIsTheFinishedWorkOfAnEarlierRun) {
  server_.indexes = {{"t_a_idx", true}};
  ASSERT_TRUE(Build(Step()).ok());
  EXPECT_EQ(server_.builds, 0);
  EXPECT_TRUE(server_.dropped.empty());
  ASSERT_FALSE(reporter_.lines.empty());
  EXPECT_NE(reporter_.lines.back().find("already built"), std::string::npos);
}

TEST_F(IndexBuilderTest, ALockTimeoutMidBuildLeavesNothingInvalidAndTheRetryFinishes) {
  server_.failures = 2;
  ASSERT_TRUE(Build(Step()).ok());
  EXPECT_EQ(server_.builds, 3);
  EXPECT_EQ(server_.dropped.size(), 2u);  // each failed attempt's leftover
  EXPECT_EQ(Valid(), 1);
  EXPECT_EQ(Invalid(), 0);
  EXPECT_EQ(clock_.pauses.size(), 2u);  // backed off between attempts, on the fake clock
}

TEST_F(IndexBuilderTest, DuplicatesFailAtOnceWithTheInvalidIndexDropped) {
  server_.failures = 100;
  server_.failure_state = "23505";
  Status st = Build(Step());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(server_.builds, 1);  // not retried: more attempts cannot help
  EXPECT_NE(st.error().ToString().find("holds duplicates"), std::string::npos)
      << st.error().ToString();
  EXPECT_EQ(Invalid(), 0);
}

TEST_F(IndexBuilderTest, AnUnnamedBuildRecordsWhatExistedAndLeavesThoseIndexesAlone) {
  // An invalid index that was there before the build is not this build's to drop.
  server_.indexes = {{"other_idx", false}};
  server_.failures = 1;
  ASSERT_TRUE(Build(Step(/*named=*/false)).ok());
  EXPECT_EQ(saves_, 1);
  EXPECT_EQ(outputs_["indexes_before:3"], nlohmann::json::array({"other_idx"}));
  EXPECT_EQ(server_.dropped, std::vector<std::string>{"\"public\".\"t_a_idx\""});
  ASSERT_EQ(server_.indexes.size(), 2u);
  EXPECT_EQ(server_.indexes[0].name, "other_idx");
  EXPECT_FALSE(server_.indexes[0].valid);
  // A resumed run reads the list it saved instead of taking a new one.
  server_.indexes.push_back({"t_b_idx", false});
  saves_ = 0;
  ASSERT_TRUE(Build(Step(/*named=*/false)).ok());
  EXPECT_EQ(saves_, 0);
}

}  // namespace
}  // namespace tide::exec
