#include "exec/replica_watch.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/strings.h"

namespace tide::exec {

using Clock = std::chrono::steady_clock;

namespace {

std::string FormatWal(int64_t bytes) {
  if (bytes < 1024) return fmt::format("{} bytes", bytes);
  if (bytes < 1024 * 1024) return fmt::format("{:.1f} kB", bytes / 1024.0);
  if (bytes < 1024LL * 1024 * 1024) return fmt::format("{:.1f} MB", bytes / (1024.0 * 1024));
  return fmt::format("{:.2f} GB", bytes / (1024.0 * 1024 * 1024));
}

bool Over(int64_t value, std::optional<int64_t> limit, int64_t scale = 1) {
  return limit && value * scale > *limit;
}

// Every row but pg_basebackup's, with the slot it streams from (its name survives a reconnect,
// the pid does not). Positions are byte offsets (pg_lsn minus 0/0).
constexpr const char* kStandbys = R"(
SELECT coalesce('slot ' || s.slot_name,
                'standby ' || coalesce(r.application_name, '?') || ' (' ||
                coalesce(host(r.client_addr), 'local socket') || ')'),
       coalesce(r.state, ''),
       pg_wal_lsn_diff(r.replay_lsn, '0/0')::bigint,
       (extract(epoch FROM r.replay_lag) * 1000)::bigint,
       pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint
FROM pg_stat_replication r LEFT JOIN pg_replication_slots s ON s.active_pid = r.pid
WHERE r.state IS DISTINCT FROM 'backup')";

}  // namespace

std::string FormatLag(int64_t ms, int64_t bytes, const LagLimits& limits) {
  std::vector<std::string> parts;
  if (limits.time || !limits.bytes) parts.push_back(FormatDuration(std::chrono::milliseconds(ms)));
  if (limits.bytes) parts.push_back(FormatWal(bytes));
  return Join(parts, " and ");
}

std::string FormatLimits(const LagLimits& limits) {
  std::vector<std::string> parts;
  if (limits.time) parts.push_back(FormatDuration(*limits.time));
  if (limits.bytes) parts.push_back(FormatWal(*limits.bytes));
  return Join(parts, " or ");
}

LagVerdict JudgeLag(const std::vector<StandbyLag>& now, const std::map<std::string, int>& at_start,
                    const LagLimits& limits) {
  LagVerdict v;
  std::map<std::string, int> count;
  const StandbyLag* worst = nullptr;
  for (const auto& s : now) {
    ++count[s.name];
    v.worst_ms = std::max(v.worst_ms, s.ms);
    v.worst_bytes = std::max(v.worst_bytes, s.bytes);
    const int64_t limit_ms = limits.time ? limits.time->count() : 0;
    bool over = Over(s.bytes, limits.bytes) || (limits.time && s.ms > limit_ms);
    if (Over(s.bytes, limits.bytes, 2) || (limits.time && s.ms * 2 > limit_ms)) v.near = true;
    if (over && (!worst || s.ms > worst->ms || s.bytes > worst->bytes)) worst = &s;
  }
  if (worst) {
    v.wait = true;
    v.why = fmt::format("{} is {} behind", worst->name, FormatLag(worst->ms, worst->bytes, limits));
    return v;
  }
  for (const auto& [name, n] : at_start) {
    if (count[name] >= n) continue;
    v.wait = true;
    v.near = true;
    v.why = fmt::format("{} stopped streaming (it streamed when the backfill began; its lag "
                        "cannot be read, so it is not taken as none)",
                        name);
    return v;
  }
  return v;
}

Result<std::vector<ReplicaWatch::Row>> ReplicaWatch::Query() {
  TIDE_ASSIGN(auto r, conn_.Exec(kStandbys));
  std::vector<Row> rows;
  auto now = Clock::now();
  for (int i = 0; i < r.rows(); ++i) {
    Row row{r.Get(i, 0), r.Get(i, 1), std::nullopt, std::nullopt};
    if (!r.IsNull(i, 2)) row.replay = r.GetInt(i, 2);
    if (!r.IsNull(i, 3)) row.replay_lag_ms = r.GetInt(i, 3);
    rows.push_back(std::move(row));
    if (i == 0 && !r.IsNull(0, 4)) {
      int64_t current = r.GetInt(0, 4);
      if (samples_.empty() || samples_.back().first < current) samples_.push_back({current, now});
      if (samples_.size() > 10'000) samples_.pop_front();
    }
  }
  return rows;
}

int64_t ReplicaWatch::OwnEstimateMs(int64_t replay) const {
  for (const auto& [lsn, at] : samples_) {
    if (lsn > replay) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - at).count();
    }
  }
  return 0;
}

Status ReplicaWatch::Start() {
  TIDE_ASSIGN(auto rows, Query());
  for (const auto& row : rows) {
    if (row.state.empty()) {
      return Error::Failed("--max-replica-lag: tide cannot read how far the standbys are behind: "
                           "pg_stat_replication shows their positions only to superusers and "
                           "members of pg_read_all_stats")
          .WithHint("GRANT pg_monitor TO the user tide connects as, or run without "
                    "--max-replica-lag (max_replica_lag in tide.toml)");
    }
    ++at_start_[row.name];
  }
  return Ok();
}

size_t ReplicaWatch::streaming_at_start() const {
  size_t n = 0;
  for (const auto& [name, count] : at_start_) n += static_cast<size_t>(count);
  return n;
}

Result<LagVerdict> ReplicaWatch::Read(bool heartbeat) {
  if (heartbeat && !heartbeat_failed_) {
    // Transactional, so its commit is flushed and sent at once (a non-transactional message
    // may wait in the WAL buffers).
    auto beat = conn_.Run("SELECT pg_logical_emit_message(true, 'tide', 'heartbeat')");
    if (!beat.ok()) {
      if (conn_.IsBroken()) return beat.error();
      heartbeat_failed_ = true;
      heartbeat_error_ = beat.error().message();
    }
  }
  TIDE_ASSIGN(auto rows, Query());
  const int64_t current = samples_.empty() ? 0 : samples_.back().first;
  std::vector<StandbyLag> now;
  std::optional<int64_t> oldest;
  for (const auto& row : rows) {
    StandbyLag s{row.name, 0, 0};
    if (!row.replay) {
      // Not streaming yet (startup): as far behind as tide can tell.
      s.bytes = current;
      s.ms = samples_.empty() ? 0 : OwnEstimateMs(-1);
    } else {
      s.bytes = std::max<int64_t>(0, current - *row.replay);
      s.ms = *row.replay >= current ? 0
             : row.replay_lag_ms    ? *row.replay_lag_ms
                                    : OwnEstimateMs(*row.replay);
      oldest = oldest ? std::min(*oldest, *row.replay) : *row.replay;
    }
    now.push_back(std::move(s));
  }
  // Samples every standby has replayed past are no longer needed.
  while (oldest && samples_.size() > 1 && samples_[1].first <= *oldest) samples_.pop_front();
  return JudgeLag(now, at_start_, limits_);
}

}  // namespace tide::exec
