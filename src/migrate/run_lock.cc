#include "migrate/run_lock.h"

#include <fmt/format.h>

#include <thread>

#include "base/fault.h"
#include "base/strings.h"

namespace tide::migrate {

namespace {

// Sessions holding the advisory lock $1 in this database. A bigint key shows in pg_locks as
// classid (high half) and objid (low half); advisory locks are per database, and pg_locks shows
// every database's, so another database's lock on the same key is not this one.
constexpr const char* kHoldersSql =
    "SELECT a.pid, coalesce(a.application_name, ''), "
    "coalesce(a.client_addr::text, 'local'), "
    "extract(epoch FROM now() - a.backend_start)::bigint "
    "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND l.classid = (($1::bigint >> 32) & 4294967295)::bigint::oid "
    "AND l.objid = ($1::bigint & 4294967295)::bigint::oid "
    "AND l.objsubid = 1 LIMIT 1";

}  // namespace

Result<bool> RunLock::Held(pg::Connection& conn, int64_t key) {
  TIDE_ASSIGN(auto holder, conn.Query(kHoldersSql, {std::to_string(key)}));
  return holder.rows() > 0;
}

Result<RunLock> RunLock::Acquire(pg::Connection& conn, int64_t key,
                                 std::chrono::milliseconds max_wait, Reporter& reporter) {
  auto start = std::chrono::steady_clock::now();
  bool said = false;
  std::string key_text = std::to_string(key);
  while (true) {
    TIDE_ASSIGN(auto got, conn.QueryValue("SELECT pg_try_advisory_lock($1::bigint)", {key_text}));
    if (got && *got == "t") {
      if (said) reporter.Info("got the migration lock");
      FaultPoint("runlock.acquired");
      return RunLock(&conn, key);
    }
    auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    if (!said) {
      TIDE_ASSIGN(auto holder, conn.Query(kHoldersSql, {key_text}));
      std::string who =
          holder.rows() ? fmt::format("pid {} ({}, from {}, connected {} s ago)", holder.Get(0, 0),
                                      holder.Get(0, 1), holder.Get(0, 2), holder.Get(0, 3))
                        : "another session";
      reporter.Info(
          fmt::format("waiting for the migration lock held by {}: another migration "
                      "is running on this database",
                      who));
      said = true;
    }
    if (waited >= max_wait) {
      return Error::LockTimeout(fmt::format("another migration held the migration lock for more "
                                            "than {}",
                                            FormatDuration(max_wait)))
          .WithHint(
              "nothing was changed by this run; wait for the other one to finish (tide "
              "info shows progress), or raise migration_lock_wait in tide.toml "
              "(TIDE_MIGRATION_LOCK_WAIT)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

void RunLock::Release() {
  if (!conn_) return;
  if (!conn_->IsBroken()) {
    (void)conn_->Query("SELECT pg_advisory_unlock($1::bigint)", {std::to_string(key_)});
  }
  conn_ = nullptr;
}

RunLock::~RunLock() { Release(); }

}  // namespace tide::migrate
