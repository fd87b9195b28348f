#pragma once
// How far the standbys are behind, for a backfill throttled with --max-replica-lag: one query
// on the primary's pg_stat_replication (no connection to the standbys needed).
//
// - WAL lag: pg_current_wal_lsn() - replay_lsn, in bytes.
// - Time lag: pg_stat_replication.replay_lag, which the primary measures on its own clock (the
//   time since it flushed the oldest WAL the standby has not replayed; PostgreSQL interpolates,
//   so a standby whose replay is stuck shows a growing lag). Two flaws, and what tide does:
//   * replay_lag is computed only when the standby replies, and an idle primary gets a reply
//     only every wal_receiver_status_interval (10 s): while tide pauses, nothing else may write,
//     so the figure it waits on would stay stale for seconds after the standby caught up. While
//     paused, tide writes a heartbeat before each reading: a transactional logical message
//     (pg_logical_emit_message, no table, about 100 bytes of WAL), which the standby receives,
//     flushes and answers at once with its replay position.
//   * replay_lag shows the last measurement for a while after the standby caught up, and NULL
//     once it has been caught up twice in a row. So a standby whose replay_lsn has reached
//     pg_current_wal_lsn() counts as 0; one that is behind with a NULL replay_lag (the
//     primary has not had its reply since the new WAL) is timed by tide's own samples of
//     (pg_current_wal_lsn(), tide's clock): the time since the first sample past its position.
// - A standby (or replication slot) that streamed when the backfill began and is gone from
//   pg_stat_replication is waited for: it is not "no lag", it is lag nobody can read. A
//   standby whose positions tide cannot read (not a superuser or pg_read_all_stats member) is
//   an error at the start, never a silent pass.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "pg/connection.h"

namespace tide::exec {

struct LagLimits {
  std::optional<int64_t> bytes;
  std::optional<std::chrono::milliseconds> time;
  bool any() const { return bytes || time; }
};

// One standby (or logical subscriber) as pg_stat_replication shows it.
struct StandbyLag {
  std::string name;  // "standby walreceiver (local socket)", "slot replica_1"
  int64_t bytes = 0;
  int64_t ms = 0;
};

// What one reading says.
struct LagVerdict {
  bool wait = false;
  std::string why;         // "standby x is 1.2 s and 4 MB behind", "standby x stopped streaming"
  int64_t worst_ms = 0;    // over the standbys that stream
  int64_t worst_bytes = 0;
  bool near = false;       // some standby above half a limit: read before every batch
};

// Pure: judges standbys now against the limits and the names that streamed at the start
// (a name may stream several times: one entry each).
LagVerdict JudgeLag(const std::vector<StandbyLag>& now, const std::map<std::string, int>& at_start,
                    const LagLimits& limits);

// "1.2 s and 4.0 MB" / "1.2 s" / "4.0 MB": a lag as the limits measure it.
std::string FormatLag(int64_t ms, int64_t bytes, const LagLimits& limits);
std::string FormatLimits(const LagLimits& limits);

class ReplicaWatch {
 public:
  ReplicaWatch(pg::Connection& conn, LagLimits limits) : conn_(conn), limits_(limits) {}
  // Reads the standbys streaming now; an error when tide cannot read their positions.
  Status Start();
  // heartbeat: write a little WAL first, so an otherwise idle primary gets fresh replies.
  Result<LagVerdict> Read(bool heartbeat);
  size_t streaming_at_start() const;
  const LagLimits& limits() const { return limits_; }
  // Why the heartbeat could not be written (then it is not tried again); empty when it could.
  const std::string& heartbeat_error() const { return heartbeat_error_; }

 private:
  struct Row {
    std::string name;
    std::string state;  // empty: tide may not read the positions
    std::optional<int64_t> replay;  // replay_lsn as a byte position
    std::optional<int64_t> replay_lag_ms;
  };
  Result<std::vector<Row>> Query();
  int64_t OwnEstimateMs(int64_t replay) const;

  pg::Connection& conn_;
  LagLimits limits_;
  std::map<std::string, int> at_start_;
  // tide's own (WAL position, time) samples, oldest first, for standbys with no replay_lag.
  std::deque<std::pair<int64_t, std::chrono::steady_clock::time_point>> samples_;
  bool heartbeat_failed_ = false;
  std::string heartbeat_error_;
};

}  // namespace tide::exec
