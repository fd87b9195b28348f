// LockRetry against a stand-in server and a fake clock: the retry, backoff, budget and
// waiting-outside-the-queue rules, in milliseconds of real time.
#include "exec/lock_retry.h"

#include <gtest/gtest.h>

#include <string>

#include "pg/fake_connection.h"

namespace tide::exec {
namespace {

using std::chrono::milliseconds;

bool IsBlockersQuery(std::string_view sql) { return sql.find("FROM pg_locks l") != sql.npos; }

// A server where the statement "ALTER" times out on its lock `failures` times, then succeeds,
// and where `holders` answers the lock-holder query.
struct Server {
  int failures = 0;
  int alters = 0;
  std::vector<std::vector<pg::Param>> holders;
  int holder_answers = -1;  // after this many blocker queries, nobody holds a lock; -1: never
  int blocker_queries = 0;
  pg::FakeConnection conn{[this](std::string_view sql, const std::vector<pg::Param>&)
                              -> Result<pg::PgResult> {
    if (IsBlockersQuery(sql)) {
      ++blocker_queries;
      bool gone = holder_answers >= 0 && blocker_queries > holder_answers;
      return pg::MakeResult({"pid", "app", "state", "xact", "query", "mode", "autovacuum"},
                            gone ? std::vector<std::vector<pg::Param>>{} : holders);
    }
    if (sql == "ALTER") {
      if (alters++ < failures) {
        return pg::ServerError("55P03", "canceling statement due to lock timeout");
      }
    }
    return pg::CommandOk();
  }};
};

Status Alter(pg::Connection& c) { return c.Run("ALTER"); }

TEST(LockRetryTest, RetriesALockTimeoutWithGrowingJitteredPausesThenSucceeds) {
  Server server;
  server.failures = 3;
  FakeClock clock;
  CollectingReporter reporter;
  LockRetry retry(server.conn, LockPolicy{}, reporter, clock);
  Status st = retry.Run("add column", {"\"t\""}, sql::Lock::kAccessExclusive, true, Alter);
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_EQ(retry.stats().attempts, 4);
  EXPECT_EQ(retry.stats().lock_timeouts, 3);
  ASSERT_EQ(clock.pauses.size(), 3u);
  // 100, 200, 400 ms before jitter; each between half and all of it.
  for (size_t i = 0; i < 3; ++i) {
    int64_t full = 100 << i;
    EXPECT_GE(clock.pauses[i].count(), full / 2) << i;
    EXPECT_LE(clock.pauses[i].count(), full) << i;
  }
  // Each attempt: BEGIN with SET LOCAL lock_timeout in one round trip, the body, then COMMIT
  // or ROLLBACK.
  int begins = 0, rollbacks = 0, commits = 0;
  for (const auto& s : server.conn.statements) {
    if (s.starts_with("BEGIN; SET LOCAL lock_timeout = '500ms'")) ++begins;
    if (s == "ROLLBACK") ++rollbacks;
    if (s == "COMMIT") ++commits;
  }
  EXPECT_EQ(begins, 4);
  EXPECT_EQ(rollbacks, 3);
  EXPECT_EQ(commits, 1);
  EXPECT_FALSE(server.conn.InTransaction());
  ASSERT_EQ(reporter.lines.size(), 3u);
  EXPECT_NE(reporter.lines[0].find("lock timeout after 500 ms (attempt 1)"), std::string::npos)
      << reporter.lines[0];
}

TEST(LockRetryTest, PausesAreCappedAndTheBudgetEndsInALockTimeoutError) {
  Server server;
  server.failures = 1000000;
  FakeClock clock;
  CollectingReporter reporter;
  LockPolicy policy;
  policy.retry.budget = std::chrono::seconds(30);
  LockRetry retry(server.conn, policy, reporter, clock);
  Status st = retry.Run("add column", {"\"t\""}, sql::Lock::kAccessExclusive, true, Alter);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kLockTimeout);
  EXPECT_NE(st.error().message().find("gave up after"), std::string::npos)
      << st.error().message();
  ASSERT_GT(clock.pauses.size(), 10u);
  milliseconds total{0};
  for (auto p : clock.pauses) {
    EXPECT_LE(p.count(), 2000);
    total += p;
  }
  EXPECT_GE(clock.pauses.back().count(), 1000);  // at the cap, with jitter
  // It stops at the first check after the budget is spent: within one capped pause of it.
  EXPECT_GE(total, policy.retry.budget);
  EXPECT_LT(total, policy.retry.budget + milliseconds(2000));
  EXPECT_EQ(retry.stats().waited, total);
}

TEST(LockRetryTest, AnErrorThatIsNotAboutLocksIsNotRetried) {
  pg::FakeConnection conn([](std::string_view sql, const std::vector<pg::Param>&)
                              -> Result<pg::PgResult> {
    if (sql == "ALTER") return pg::ServerError("42P01", "relation \"t\" does not exist");
    return pg::CommandOk();
  });
  FakeClock clock;
  CollectingReporter reporter;
  LockRetry retry(conn, LockPolicy{}, reporter, clock);
  Status st = retry.Run("add column", {"\"t\""}, sql::Lock::kAccessExclusive, true, Alter);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().sqlstate(), "42P01");
  EXPECT_EQ(retry.stats().attempts, 1);
  EXPECT_TRUE(clock.pauses.empty());
}

TEST(LockRetryTest, WaitsOutsideTheQueueWhileALongTransactionHoldsAConflictingLock) {
  Server server;
  // A session 30 s into its transaction holds ROW EXCLUSIVE on the table, for two looks.
  server.holders = {{"77", "billing/1.2", "idle in transaction", "30.0", "UPDATE t SET ...",
                     "RowExclusiveLock", "none"}};
  server.holder_answers = 2;
  FakeClock clock;
  CollectingReporter reporter;
  LockRetry retry(server.conn, LockPolicy{}, reporter, clock);
  Status st = retry.Run("add column", {"\"t\""}, sql::Lock::kAccessExclusive, true, Alter);
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  // Never queued while it held the lock: one attempt, after two 100 ms looks.
  EXPECT_EQ(retry.stats().attempts, 1);
  EXPECT_EQ(server.alters, 1);
  ASSERT_EQ(clock.pauses.size(), 2u);
  EXPECT_EQ(clock.pauses[0], milliseconds(100));
  ASSERT_FALSE(reporter.lines.empty());
  EXPECT_NE(reporter.lines[0].find("waiting, not queueing: pid 77 (billing/1.2"),
            std::string::npos)
      << reporter.lines[0];
  EXPECT_EQ(reporter.lines.size(), 1u);  // said once per blocker, not at every look
}

TEST(LockRetryTest, AShortTransactionOrANonConflictingLockIsNotWaitedFor) {
  Server server;
  server.holders = {{"78", "api/2.0", "active", "0.1", "SELECT", "RowExclusiveLock", "none"},
                    {"79", "api/2.0", "idle in transaction", "60", "SELECT", "AccessShareLock",
                     "none"}};
  FakeClock clock;
  CollectingReporter reporter;
  LockRetry retry(server.conn, LockPolicy{}, reporter, clock);
  // SHARE conflicts with ROW EXCLUSIVE (0.1 s: shorter than lock_timeout, so queue) but not
  // with ACCESS SHARE (60 s, ignored).
  Status st = retry.Run("create index", {"\"t\""}, sql::Lock::kShare, true, Alter);
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_TRUE(clock.pauses.empty());
  EXPECT_TRUE(reporter.lines.empty());
}

TEST(LockRetryTest, WithoutATransactionTheTimeoutIsSetAndResetOnTheSession) {
  Server server;
  FakeClock clock;
  CollectingReporter reporter;
  LockRetry retry(server.conn, LockPolicy{}, reporter, clock);
  Status st = retry.Run("create index concurrently", {"\"t\""},
                        sql::Lock::kShareUpdateExclusive, false, Alter);
  ASSERT_TRUE(st.ok());
  // A lock that blocks no writes waits in the queue up to the whole budget, and no lock holder
  // is looked up first.
  ASSERT_EQ(server.conn.statements.size(), 3u);
  EXPECT_EQ(server.conn.statements[0], "SET lock_timeout = '300000ms'");
  EXPECT_EQ(server.conn.statements[1], "ALTER");
  EXPECT_EQ(server.conn.statements[2], "RESET lock_timeout");
  EXPECT_EQ(server.blocker_queries, 0);
}

}  // namespace
}  // namespace tide::exec
