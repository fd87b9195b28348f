#include "exec/lock_retry.h"

#include <fmt/format.h>

#include <algorithm>
#include <random>
#include <thread>

#include "base/fault.h"
#include "base/strings.h"

namespace tide::exec {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string Blocker::Describe() const {
  std::string q = query;
  for (char& c : q) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (q.size() > 80) q = q.substr(0, 77) + "...";
  return fmt::format("pid {} ({}, {}, transaction open {:.1f} s, holds {} on {}): {}", pid,
                     application_name.empty() ? "no application_name" : application_name,
                     state.empty() ? "?" : state, transaction_seconds, mode, table, q);
}

bool LockRetry::Retryable(const Error& e) {
  // lock_timeout, deadlock, serialization failure.
  return e.sqlstate() == "55P03" || e.sqlstate() == "40P01" || e.sqlstate() == "40001";
}

milliseconds LockRetry::Backoff(int attempt) {
  static thread_local std::mt19937 rng(std::random_device{}());
  int64_t base = policy_.base_backoff.count() << std::min(attempt, 10);
  base = std::min<int64_t>(base, policy_.max_backoff.count());
  std::uniform_int_distribution<int64_t> jitter(base / 2, base);
  return milliseconds(jitter(rng));
}

Result<std::vector<Blocker>> LockRetry::FindBlockers(const std::vector<std::string>& tables,
                                                     sql::Lock lock, double older_than_seconds) {
  std::vector<Blocker> out;
  for (const auto& table : tables) {
    if (std::find(new_tables_.begin(), new_tables_.end(), table) != new_tables_.end()) continue;
    TIDE_ASSIGN(auto r,
                conn_.Query("SELECT a.pid, coalesce(a.application_name, ''), "
                            "coalesce(a.state, ''), "
                            "coalesce(extract(epoch FROM now() - a.xact_start), 0)::float8, "
                            "left(coalesce(a.query, ''), 200), l.mode "
                            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                            "WHERE l.granted AND l.locktype = 'relation' "
                            "AND l.relation = to_regclass($1) AND l.pid <> pg_backend_pid() "
                            "AND coalesce(extract(epoch FROM now() - a.xact_start), 0) >= $2 "
                            "ORDER BY a.xact_start",
                            {table, fmt::format("{}", older_than_seconds)}));
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
      out.push_back(std::move(b));
    }
  }
  return out;
}

Status LockRetry::Run(const std::string& what, const std::vector<std::string>& tables,
                      sql::Lock lock, bool transactional,
                      const std::function<Status(pg::Connection&)>& body) {
  // Locks the application does not feel may wait in the queue for the whole budget.
  bool blocks_app = sql::BlocksWrites(lock);
  milliseconds timeout = blocks_app ? policy_.lock_timeout : policy_.budget;
  auto start = Clock::now();
  auto elapsed = [&] { return std::chrono::duration_cast<milliseconds>(Clock::now() - start); };
  int attempt = 0;
  int last_reported_pid = -1;
  std::vector<Blocker> last_blockers;
  while (true) {
    if (blocks_app && !tables.empty()) {
      // Wait outside the lock queue while a long transaction holds a conflicting lock.
      double long_tx = static_cast<double>(policy_.lock_timeout.count()) / 1000.0;
      TIDE_ASSIGN(auto holders, FindBlockers(tables, lock, long_tx));
      if (!holders.empty()) {
        last_blockers = holders;
        if (holders[0].pid != last_reported_pid) {
          reporter_.Info(fmt::format("    waiting, not queueing: {}", holders[0].Describe()));
          last_reported_pid = holders[0].pid;
        }
        if (elapsed() >= policy_.budget) break;
        auto pause = milliseconds(100);
        std::this_thread::sleep_for(pause);
        stats_.waited += pause;
        continue;
      }
    }
    ++attempt;
    ++stats_.attempts;
    Status st = Ok();
    if (transactional) {
      // One round trip for both: a file of one short statement on an empty database should
      // cost little more than a plain run's BEGIN.
      st = conn_.Run(fmt::format("BEGIN; SET LOCAL lock_timeout = {}",
                                 QuoteLiteral(std::to_string(timeout.count()) + "ms")));
      if (st.ok()) st = body(conn_);
      if (st.ok()) st = conn_.Run("COMMIT");
      if (!st.ok() && !conn_.IsBroken()) (void)conn_.Exec("ROLLBACK");
    } else {
      st = conn_.Run(fmt::format("SET lock_timeout = {}",
                                 QuoteLiteral(std::to_string(timeout.count()) + "ms")));
      if (st.ok()) st = body(conn_);
      if (!conn_.IsBroken()) (void)conn_.Exec("RESET lock_timeout");
    }
    if (st.ok()) return st;
    if (!Retryable(st.error())) return st;
    FaultPoint("lock_retry.after_timeout");
    ++stats_.lock_timeouts;
    auto found = FindBlockers(tables, lock, 0);
    if (found.ok() && !found->empty()) last_blockers = *found;
    if (elapsed() >= policy_.budget) break;
    milliseconds pause = Backoff(attempt);
    std::string who =
        last_blockers.empty() ? "a session that has finished since" : last_blockers[0].Describe();
    reporter_.Info(fmt::format("    {} after {} ms (attempt {}); blocked by {}; retrying in {} ms",
                               st.error().sqlstate() == "55P03" ? "lock timeout" : "deadlock",
                               timeout.count(), attempt, who, pause.count()));
    std::this_thread::sleep_for(pause);
    stats_.waited += pause;
  }
  std::string who;
  for (const auto& b : last_blockers) who += "\n    " + b.Describe();
  return Error::LockTimeout(fmt::format("{}: gave up after {} ({} attempt{}) waiting for a {} "
                                        "lock on {}{}",
                                        what, FormatDuration(elapsed()), attempt,
                                        attempt == 1 ? "" : "s", sql::LockName(lock),
                                        Join(tables, ", "), who.empty() ? "" : "; held by:" + who))
      .WithHint(
          "end or wait for the blocking session, then run tide migrate again (it resumes "
          "here); raise --lock-wait to keep trying longer");
}

}  // namespace tide::exec
