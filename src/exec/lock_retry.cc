#include "exec/lock_retry.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/fault.h"
#include "base/strings.h"
#include "base/text.h"

namespace tide::exec {

using std::chrono::milliseconds;

std::string Blocker::Describe() const {
  std::string q = Abbreviate(OneLine(query), 80);
  if (autovacuum != Autovacuum::kNone) {
    return fmt::format("pid {} ({} autovacuum, running {:.1f} s, holds {} on {}): {}", pid,
                       autovacuum == Autovacuum::kWraparound ? "an anti-wraparound" : "an ordinary",
                       transaction_seconds, mode, table, q);
  }
  return fmt::format("pid {} ({}, {}, transaction open {:.1f} s, holds {} on {}): {}", pid,
                     application_name.empty() ? "no application_name" : application_name,
                     state.empty() ? "?" : state, transaction_seconds, mode, table, q);
}

bool LockRetry::Retryable(const Error& e) {
  // lock_timeout, deadlock, serialization failure.
  return e.sqlstate() == "55P03" || e.sqlstate() == "40P01" || e.sqlstate() == "40001";
}

namespace {

// Holders of conflicting locks on table $1, in the current database only: pg_locks shows every
// database's locks, and databases made from one template share table OIDs. An autovacuum worker
// is anti-wraparound when its query says so; a role that may not read others' queries sees
// "<insufficient privilege>", and then the table's age against autovacuum_freeze_max_age
// (the table's own setting, when lower) decides as autovacuum itself does.
constexpr const char* kBlockersSql =
    "SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.state, ''), "
    "coalesce(extract(epoch FROM now() - a.xact_start), 0)::float8, "
    "left(coalesce(a.query, ''), 200), l.mode, "
    "CASE WHEN a.backend_type IS DISTINCT FROM 'autovacuum worker' THEN 'none' "
    "WHEN a.query LIKE '%(to prevent wraparound)%' THEN 'wraparound' "
    "WHEN a.query LIKE 'autovacuum:%' THEN 'ordinary' "
    "WHEN age(c.relfrozenxid) >= least(current_setting('autovacuum_freeze_max_age')::bigint, "
    "  (SELECT o.option_value::bigint FROM pg_options_to_table(c.reloptions) o "
    "   WHERE o.option_name = 'autovacuum_freeze_max_age')) "
    "OR mxid_age(c.relminmxid) >= "
    "  current_setting('autovacuum_multixact_freeze_max_age')::bigint THEN 'wraparound' "
    "ELSE 'ordinary' END "
    "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "LEFT JOIN pg_class c ON c.oid = l.relation "
    "WHERE l.granted AND l.locktype = 'relation' "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND l.relation = to_regclass($1) AND l.pid <> pg_backend_pid() "
    "AND coalesce(extract(epoch FROM now() - a.xact_start), 0) >= $2 "
    "ORDER BY a.xact_start";

Autovacuum AutovacuumFrom(const std::string& kind) {
  if (kind == "wraparound") return Autovacuum::kWraparound;
  if (kind == "ordinary") return Autovacuum::kOrdinary;
  return Autovacuum::kNone;
}

}  // namespace

Result<std::vector<Blocker>> LockRetry::FindBlockers(const std::vector<std::string>& tables,
                                                     sql::Lock lock, double older_than_seconds) {
  std::vector<Blocker> out;
  for (const auto& table : tables) {
    if (std::find(new_tables_.begin(), new_tables_.end(), table) != new_tables_.end()) continue;
    TIDE_ASSIGN(auto r, conn_.Query(kBlockersSql, {table, fmt::format("{}", older_than_seconds)}));
    for (int i = 0; i < r.rows(); ++i) {
      sql::Lock held = sql::LockFromPgMode(r.Get(i, 5));
      if (!sql::LocksConflict(held, lock)) continue;
      Blocker b;
      b.pid = static_cast<int>(r.GetInt(i, 0));
      b.application_name = r.Get(i, 1);
      b.state = r.Get(i, 2);
      b.transaction_seconds = r.GetDouble(i, 3);
      b.query = r.Get(i, 4);
      b.mode = r.Get(i, 5);
      b.table = table;
      b.autovacuum = AutovacuumFrom(r.Get(i, 6));
      out.push_back(std::move(b));
    }
  }
  return out;
}

Result<milliseconds> LockRetry::DeadlockTimeout() {
  if (deadlock_timeout_.count() < 0) {
    TIDE_ASSIGN(auto ms, conn_.QueryValue("SELECT setting FROM pg_settings "
                                          "WHERE name = 'deadlock_timeout'"));
    deadlock_timeout_ = milliseconds(ms ? std::stoll(*ms) : 1000);
  }
  return deadlock_timeout_;
}

Result<std::vector<Blocker>> LockRetry::WaitOutsideFor(const std::vector<std::string>& tables,
                                                       sql::Lock lock, bool& behind_autovacuum) {
  double long_tx = static_cast<double>(policy_.lock_timeout.count()) / 1000.0;
  TIDE_ASSIGN(auto holders, FindBlockers(tables, lock, 0));
  std::vector<Blocker> wait_for;
  behind_autovacuum = false;
  for (auto& h : holders) {
    if (h.autovacuum == Autovacuum::kOrdinary) {
      behind_autovacuum = true;
    } else if (h.autovacuum == Autovacuum::kWraparound || h.transaction_seconds >= long_tx) {
      wait_for.push_back(std::move(h));
    }
  }
  return wait_for;
}

Status LockRetry::Run(const std::string& what, const std::vector<std::string>& tables,
                      sql::Lock lock, bool transactional,
                      const std::function<Status(pg::Connection&)>& body) {
  // Locks the application does not feel may wait in the queue for the whole budget.
  bool blocks_app = sql::BlocksWrites(lock);
  milliseconds timeout = blocks_app ? policy_.lock_timeout : policy_.retry.budget;
  auto start = clock_.Now();
  auto elapsed = [&] { return clock_.Since(start); };
  int attempt = 0;
  int last_reported_pid = -1;
  std::vector<Blocker> last_blockers;
  while (true) {
    milliseconds attempt_timeout = timeout;
    if (blocks_app && !tables.empty()) {
      // Wait outside the lock queue while a long transaction or an anti-wraparound autovacuum
      // holds a conflicting lock.
      bool behind_autovacuum = false;
      TIDE_ASSIGN(auto holders, WaitOutsideFor(tables, lock, behind_autovacuum));
      if (!holders.empty()) {
        last_blockers = holders;
        if (holders[0].pid != last_reported_pid) {
          ReportWaiting(holders[0]);
          last_reported_pid = holders[0].pid;
        }
        if (elapsed() >= policy_.retry.budget) break;
        auto pause = milliseconds(100);
        clock_.SleepFor(pause);
        stats_.waited += pause;
        continue;
      }
      if (behind_autovacuum) {
        // Queue long enough for PostgreSQL's deadlock check to cancel the autovacuum.
        TIDE_ASSIGN(milliseconds deadlock, DeadlockTimeout());
        attempt_timeout = timeout + deadlock;
        reporter_.Info(
            fmt::format("    an ordinary autovacuum holds a conflicting lock: "
                        "queueing for up to {} ms, so that PostgreSQL cancels it "
                        "(deadlock_timeout {} ms)",
                        attempt_timeout.count(), deadlock.count()));
      }
    }
    ++attempt;
    ++stats_.attempts;
    Status st = Attempt(attempt_timeout, transactional, body);
    if (st.ok()) return st;
    if (!Retryable(st.error())) return st;
    FaultPoint("lock_retry.after_timeout");
    ++stats_.lock_timeouts;
    auto found = FindBlockers(tables, lock, 0);
    if (found.ok() && !found->empty()) last_blockers = *found;
    if (elapsed() >= policy_.retry.budget) break;
    milliseconds pause = policy_.retry.Pause(attempt);
    std::string who =
        last_blockers.empty() ? "a session that has finished since" : last_blockers[0].Describe();
    reporter_.Info(fmt::format("    {} after {} ms (attempt {}); blocked by {}; retrying in {} ms",
                               st.error().sqlstate() == "55P03" ? "lock timeout" : "deadlock",
                               attempt_timeout.count(), attempt, who, pause.count()));
    clock_.SleepFor(pause);
    stats_.waited += pause;
  }
  return GaveUp(what, tables, lock, elapsed(), attempt, last_blockers);
}

Status LockRetry::Attempt(milliseconds timeout, bool transactional,
                          const std::function<Status(pg::Connection&)>& body) {
  std::string limit = QuoteLiteral(std::to_string(timeout.count()) + "ms");
  Status st = Ok();
  if (transactional) {
    // One round trip for both: a file of one short statement on an empty database should
    // cost little more than a plain run's BEGIN.
    st = conn_.Run("BEGIN; SET LOCAL lock_timeout = " + limit);
    if (st.ok()) st = body(conn_);
    if (st.ok()) st = conn_.Run("COMMIT");
    if (!st.ok() && !conn_.IsBroken()) (void)conn_.Exec("ROLLBACK");
  } else {
    st = conn_.Run("SET lock_timeout = " + limit);
    if (st.ok()) st = body(conn_);
    if (!conn_.IsBroken()) (void)conn_.Exec("RESET lock_timeout");
  }
  return st;
}

void LockRetry::ReportWaiting(const Blocker& holder) {
  bool wraparound = holder.autovacuum == Autovacuum::kWraparound;
  reporter_.Info(fmt::format("    waiting, not queueing: {}{}", holder.Describe(),
                             wraparound ? " (PostgreSQL never cancels an anti-wraparound "
                                          "vacuum: waiting for it to finish)"
                                        : ""));
}

Error LockRetry::GaveUp(const std::string& what, const std::vector<std::string>& tables,
                        sql::Lock lock, milliseconds elapsed, int attempt,
                        const std::vector<Blocker>& last_blockers) {
  std::string who;
  for (const auto& b : last_blockers) who += "\n    " + b.Describe();
  return Error::LockTimeout(fmt::format("{}: gave up after {} ({} attempt{}) waiting for a {} "
                                        "lock on {}{}",
                                        what, FormatDuration(elapsed), attempt,
                                        attempt == 1 ? "" : "s", sql::LockName(lock),
                                        Join(tables, ", "),
                                        who.empty() ? "" : "; held by:" + who))
      .WithHint(!last_blockers.empty() && last_blockers[0].autovacuum == Autovacuum::kWraparound
                    ? "an anti-wraparound autovacuum must finish (PostgreSQL never cancels it): "
                      "run tide migrate again once it has (it resumes here), or raise "
                      "--lock-wait to wait for it"
                    : "end or wait for the blocking session, then run tide migrate again (it "
                      "resumes here); raise --lock-wait to keep trying longer");
}

}  // namespace tide::exec
