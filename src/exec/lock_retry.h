#pragma once
// Taking a table lock without stalling the application. A lock request that waits blocks every
// later query on the table (PostgreSQL's lock queue), so tide never waits long for a lock that
// blocks reads or writes: it first checks that no long transaction holds a conflicting lock
// (and waits, outside the queue, while one does), then asks with a short lock_timeout, and on
// SQLSTATE 55P03 (or a deadlock) rolls back and retries with capped exponential backoff and
// jitter, saying who blocks it. A total budget ends in a clear failure, never an endless queue.
// Locks that block neither reads nor writes (SHARE UPDATE EXCLUSIVE: VALIDATE, CONCURRENTLY)
// may simply wait, up to the budget.
// Autovacuum is the exception to waiting outside the queue: PostgreSQL cancels an ordinary
// autovacuum that blocks a queued lock request (after deadlock_timeout), and only a queued
// request makes it do so. So behind an ordinary autovacuum tide queues, for deadlock_timeout
// plus its lock_timeout, as a plain ALTER would; only an anti-wraparound autovacuum, which
// PostgreSQL never cancels, is waited for outside the queue.
// Only locks in the current database count: databases made from one template share table OIDs.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "base/reporter.h"
#include "base/retry.h"
#include "pg/connection.h"
#include "sql/lock.h"

namespace tide::exec {

struct LockPolicy {
  std::chrono::milliseconds lock_timeout{500};  // per attempt, for locks that block the app
  // Pauses of 100 ms, 200 ms, ... up to 2 s after each lock timeout; retry.budget bounds all
  // attempts of one step (also the time spent waiting outside the queue).
  RetryPolicy retry{std::chrono::milliseconds(100), std::chrono::milliseconds(2000),
                    std::chrono::minutes(5)};
};

enum class Autovacuum {
  kNone,        // not an autovacuum worker
  kOrdinary,    // cancelled by PostgreSQL when it blocks a queued lock request
  kWraparound,  // to prevent wraparound: never cancelled, must be waited for
};

// A session holding a lock on a table tide needs.
struct Blocker {
  int pid = 0;
  std::string application_name;
  std::string state;
  double transaction_seconds = 0;
  std::string query;
  std::string mode;
  std::string table;
  Autovacuum autovacuum = Autovacuum::kNone;
  std::string Describe() const;
};

struct LockStats {
  int attempts = 0;
  int lock_timeouts = 0;
  std::chrono::milliseconds waited{0};  // time spent waiting for blockers or backing off
};

class LockRetry {
 public:
  LockRetry(pg::Connection& conn, LockPolicy policy, Reporter& reporter,
            tide::Clock& clock = tide::Clock::Real())
      : conn_(conn), policy_(policy), reporter_(reporter), clock_(clock) {}

  // Runs body until it succeeds. transactional: body runs between BEGIN and COMMIT with
  // SET LOCAL lock_timeout (the body may do more than the step: tide's own bookkeeping commits
  // with it); otherwise body runs in autocommit with a session lock_timeout, reset afterwards.
  // tables: quoted names whose lock holders are checked; lock: the strongest lock body takes.
  Status Run(const std::string& what, const std::vector<std::string>& tables, sql::Lock lock,
             bool transactional, const std::function<Status(pg::Connection&)>& body);

  const LockStats& stats() const { return stats_; }
  // Tables created earlier in this run (quoted): no application session can hold a lock on
  // them yet, so waiting outside the queue skips the catalog query for them.
  void SkipHolderCheck(std::vector<std::string> tables) { new_tables_ = std::move(tables); }
  // Sessions holding locks on tables that conflict with lock; older_than filters by the age of
  // their transaction.
  Result<std::vector<Blocker>> FindBlockers(const std::vector<std::string>& tables, sql::Lock lock,
                                            double older_than_seconds);

 private:
  static bool Retryable(const Error& e);
  // The server's deadlock_timeout, read once: how long a queued request waits before PostgreSQL
  // cancels an ordinary autovacuum that blocks it.
  Result<std::chrono::milliseconds> DeadlockTimeout();
  // Sessions to wait for outside the queue: long transactions and anti-wraparound autovacuums.
  // Sets behind_autovacuum when an ordinary autovacuum holds a conflicting lock.
  Result<std::vector<Blocker>> WaitOutsideFor(const std::vector<std::string>& tables,
                                              sql::Lock lock, bool& behind_autovacuum);
  // One try of body under the given lock_timeout (SET LOCAL in a transaction, or set and
  // reset on the session).
  Status Attempt(std::chrono::milliseconds timeout, bool transactional,
                 const std::function<Status(pg::Connection&)>& body);
  void ReportWaiting(const Blocker& holder);
  // The error once the budget is spent, naming who held the lock.
  Error GaveUp(const std::string& what, const std::vector<std::string>& tables, sql::Lock lock,
               std::chrono::milliseconds elapsed, int attempt,
               const std::vector<Blocker>& last_blockers);

  pg::Connection& conn_;
  LockPolicy policy_;
  Reporter& reporter_;
  tide::Clock& clock_;
  LockStats stats_;
  std::chrono::milliseconds deadlock_timeout_{-1};
  std::vector<std::string> new_tables_;
};

}  // namespace tide::exec
