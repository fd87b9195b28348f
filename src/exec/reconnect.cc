#include "exec/reconnect.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "base/fault.h"
#include "base/retry.h"
#include "base/strings.h"

namespace tide::exec {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

milliseconds Since(Clock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - t);
}

Status TakeRunLockBack(pg::Connection& conn, int64_t key, milliseconds wait) {
  auto start = Clock::now();
  while (true) {
    TIDE_ASSIGN(auto got,
                conn.QueryValue("SELECT pg_try_advisory_lock($1::bigint)", {std::to_string(key)}));
    if (got && *got == "t") return Ok();
    if (Since(start) >= wait) {
      return Error::Failed(fmt::format(
          "the migration lock was taken by another session while this run was reconnecting "
          "(another tide or Flyway run, or this run's old server session still finishing), "
          "and it was still held after {}",
          FormatDuration(wait)));
    }
    std::this_thread::sleep_for(milliseconds(200));
  }
}

}  // namespace

Status ReconnectSession(store::Session& session, int64_t run_lock_key, milliseconds budget,
                        Reporter& reporter) {
  if (budget.count() <= 0) {
    return Error::Failed("reconnecting is off (reconnect_wait = 0)");
  }
  // 100 ms, 200 ms, ... up to 2 s, jittered so that several clients reconnecting to a
  // restarted server do not arrive together.
  RetryPolicy retry{milliseconds(100), milliseconds(2000), budget};
  auto start = Clock::now();
  int attempt = 0;
  std::string last_error;
  while (true) {
    // A restarting server refuses connections for a moment: do not spend the first attempts
    // on it at once.
    std::this_thread::sleep_for(std::min(retry.Pause(attempt + 1), budget - Since(start)));
    ++attempt;
    Status st = session.Reconnect();
    if (st.ok()) break;
    last_error = st.error().message();
    if (Since(start) >= budget) {
      return Error::Failed(
          fmt::format("the server could not be reached again within {} ({} "
                      "attempt{}; last: {})",
                      FormatDuration(budget), attempt, attempt == 1 ? "" : "s", last_error));
    }
  }
  FaultPoint("reconnect.connected");
  reporter.Info(fmt::format("    reconnected after {} ({} attempt{})", FormatDuration(Since(start)),
                            attempt, attempt == 1 ? "" : "s"));
  // Waiting longer than a few seconds would only wait on another run that is doing the work.
  milliseconds lock_wait =
      std::clamp(budget - Since(start), milliseconds(1000), milliseconds(10000));
  return TakeRunLockBack(session.conn(), run_lock_key, lock_wait);
}

}  // namespace tide::exec
