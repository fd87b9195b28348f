#include "exec/backfill.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "base/fault.h"
#include "base/json_text.h"
#include "base/strings.h"
#include "exec/batch_sizer.h"

namespace tide::exec {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using nlohmann::json;

struct Backfill::Cursor {
  std::optional<std::vector<std::string>> last;  // key of the last row done
  std::optional<std::vector<std::string>> end;   // frozen upper bound, when not live_end
  int64_t page = 0;                              // ctid mode: next page
  int64_t end_page = -1;
  int64_t visited = 0;
  int64_t changed = 0;
};

namespace {

std::string Placeholders(int first, size_t n, const std::vector<std::string>& types) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(fmt::format("${}::{}", first + static_cast<int>(i),
                              i < types.size() ? types[i] : "text"));
  }
  return out.size() == 1 ? out[0] : "(" + Join(out, ", ") + ")";
}

std::vector<std::string> ToStrings(const json& j) {
  std::vector<std::string> out;
  for (const auto& v : j) out.push_back(v.get<std::string>());
  return out;
}

// The checkpoint in parameter $param with its `field` count raised by the batch's rows.
std::string WithBatchCount(int param, const char* field) {
  return fmt::format(
      "jsonb_set(${0}::jsonb, '{{{1}}}', to_jsonb((${0}::jsonb->>'{1}')::bigint + "
      "(SELECT count(*) FROM tide_batch)))",
      param, field);
}

// The sessions that queue behind this backend's locks as its batch ends, and the longest of
// their waits, as "<sessions> <ms>". It is a column of the batch's own statement, evaluated
// after the batch's rows are locked (the data-modifying CTE has run to completion), and every
// session that queued on one of them waits until the commit: so it sees them all, at no extra
// round trip. Only sessions in a lock wait are asked for their blockers (usually none).
constexpr const char* kWaiters =
    "(SELECT count(*) || ' ' || coalesce((extract(epoch FROM max(clock_timestamp() - "
    "greatest(a.query_start, statement_timestamp()))) * 1000)::bigint, 0) "
    "FROM pg_stat_activity a WHERE CASE WHEN a.wait_event_type = 'Lock' "
    "THEN pg_backend_pid() = ANY (pg_blocking_pids(a.pid)) ELSE false END)";

bool Retryable(const Error& e) {
  return e.sqlstate() == "55P03" || e.sqlstate() == "40P01" || e.sqlstate() == "40001";
}

}  // namespace

std::string Backfill::Qualified(const std::string& column) const {
  return (spec_.alias.empty() ? spec_.table : QuoteIdent(spec_.alias)) + "." + column;
}

std::string Backfill::KeyList() const {
  std::vector<std::string> cols;
  for (const auto& k : spec_.key) cols.push_back(Qualified(k));
  return cols.size() == 1 ? cols[0] : "(" + Join(cols, ", ") + ")";
}

// While every standby is under half its limit the lag is read at most this often: one query
// per several batches, no measurable cost. Above half, before every batch.
constexpr milliseconds kLagReadEvery{250};
// While paused, how often the lag is read again (each time after a heartbeat).
constexpr milliseconds kPausePoll{200};

Status Backfill::StartThrottle() {
  const auto& s = options_.settings;
  LagLimits limits{s.max_replica_lag_bytes, s.max_replica_lag_time};
  if (!limits.any()) return Ok();
  watch_.emplace(conn_, limits);
  TIDE_TRY(watch_->Start());
  size_t n = watch_->streaming_at_start();
  if (n == 0) {
    reporter_.Warn(fmt::format("--max-replica-lag {}: no standby streams from this server, so the "
                               "backfill of {} has no lag to wait for",
                               FormatLimits(limits), spec_.label));
  } else {
    reporter_.Info(fmt::format("    throttled: pauses while one of {} standby{} is more than {} "
                               "behind, or stops streaming",
                               n, n == 1 ? "" : "s", FormatLimits(limits)));
  }
  return Ok();
}

void Backfill::NoteLag(const LagVerdict& v, BackfillResult& result) {
  result.yielded.worst_lag_ms = std::max(result.yielded.worst_lag_ms, v.worst_ms);
  result.yielded.worst_lag_bytes = std::max(result.yielded.worst_lag_bytes, v.worst_bytes);
  lag_near_ = v.near;
  last_lag_read_ = Clock::now();
  if (!heartbeat_warned_ && !watch_->heartbeat_error().empty()) {
    heartbeat_warned_ = true;
    reporter_.Warn(fmt::format("tide cannot write its heartbeat ({}); while paused, it sees a "
                               "standby catch up only at the standby's next status report "
                               "(wal_receiver_status_interval)",
                               watch_->heartbeat_error()));
  }
}

Status Backfill::Throttle(BackfillResult& result) {
  if (!watch_) return Ok();
  if (!lag_near_ && Clock::now() - last_lag_read_ < kLagReadEvery) return Ok();
  TIDE_ASSIGN(LagVerdict v, watch_->Read(/*heartbeat=*/false));
  NoteLag(v, result);
  if (!v.wait) return Ok();
  return PauseForLag(std::move(v), result);
}

Status Backfill::PauseForLag(LagVerdict v, BackfillResult& result) {
  const auto started = Clock::now();
  const milliseconds limit = options_.settings.max_throttle_wait;
  const LagLimits& limits = watch_->limits();
  reporter_.Info(fmt::format("    paused: {} (limit {}); waiting up to {}", v.why,
                             FormatLimits(limits), FormatDuration(limit)));
  while (v.wait) {
    auto paused = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
    if (paused > limit) {
      result.yielded.throttled += paused;
      ++result.yielded.pauses;
      return Error::Failed(fmt::format("backfill of {} paused for {}, longer than the "
                                       "--max-throttle-wait of {}: {}",
                                       spec_.label, FormatDuration(paused), FormatDuration(limit),
                                       v.why))
          .WithHint("let the standby catch up (or bring it back, or drop its replication slot if "
                    "it is gone for good), then run tide migrate again: the backfill resumes "
                    "after its last batch");
    }
    std::this_thread::sleep_for(kPausePoll);
    TIDE_ASSIGN(v, watch_->Read(/*heartbeat=*/true));
    NoteLag(v, result);
  }
  auto paused = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
  result.yielded.throttled += paused;
  ++result.yielded.pauses;
  reporter_.Info(fmt::format("    resumed after {}: every standby within {} (now {})",
                             FormatDuration(paused), FormatLimits(limits),
                             FormatLag(v.worst_ms, v.worst_bytes, limits)));
  return Ok();
}

void Backfill::AfterBatch(BatchSizer& sizer, Clock::time_point batch_started,
                          const BatchOutcome& done, BackfillResult& result) {
  ++result.batches;
  double took = std::chrono::duration<double, std::milli>(Clock::now() - batch_started).count();
  milliseconds pause = sizer.Next(took, done.waiters, done.wait_ms);
  result.yielded.batches_shrunk = sizer.shrunk();
  result.yielded.waiters = sizer.waiters();
  result.yielded.longest_wait_ms = sizer.longest_wait_ms();
  pause += options_.settings.pause;
  if (pause.count() > 0) std::this_thread::sleep_for(pause);
}

void Backfill::ReportProgress(const BackfillResult& result, int64_t start_visited,
                              Clock::time_point started, int64_t total, const BatchSizer& sizer) {
  Progress p{spec_.label, result.visited, total, ActiveRate(result, start_visited, started),
             sizer.size()};
  p.shrunk = result.yielded.batches_shrunk;
  p.longest_wait_ms = result.yielded.longest_wait_ms;
  reporter_.Update(p);
}

BackfillResult Backfill::Finished(BackfillResult result, int64_t start_visited,
                                  Clock::time_point started, const BatchSizer& sizer) {
  result.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
  double secs = std::chrono::duration<double>(result.elapsed).count();
  result.rows_per_second =
      secs > 0 ? static_cast<double>(result.visited - start_visited) / secs : 0;
  reporter_.Finish({spec_.label, result.visited, result.visited, result.rows_per_second,
                    sizer.size()});
  return result;
}

double Backfill::ActiveRate(const BackfillResult& result, int64_t start_visited,
                            Clock::time_point started) const {
  double secs =
      std::chrono::duration<double>(Clock::now() - started - result.yielded.throttled).count();
  return secs > 0 ? static_cast<double>(result.visited - start_visited) / secs : 0;
}

Result<Backfill::BatchOutcome> Backfill::RunBatch(const std::string& statement,
                                                  std::vector<pg::Param> params,
                                                  BackfillResult& result) {
  auto started = Clock::now();
  int attempt = 0;
  while (true) {
    auto r = conn_.Query(statement, params);
    if (r.ok()) {
      BatchOutcome out;
      if (r->rows() == 0) return out;
      out.changed = r->GetInt(0, 0);
      // The waiters column: "<sessions> <longest wait in ms>".
      if (r->columns() > 1 && !r->IsNull(0, 1)) {
        std::string w = r->Get(0, 1);
        size_t sp = w.find(' ');
        if (sp != std::string::npos) {
          out.waiters = std::stoll(w.substr(0, sp));
          out.wait_ms = std::stoll(w.substr(sp + 1));
        }
      }
      return out;
    }
    if (!Retryable(r.error())) return r.error();
    ++result.retries;
    if (Clock::now() - started > options_.retry_budget) {
      return Error::LockTimeout(fmt::format("backfill of {}: a batch could not get its row locks "
                                            "for {}",
                                            spec_.label, FormatDuration(options_.retry_budget)))
          .WithHint("a long transaction holds rows of this table; end it, then run tide migrate "
                    "again: the backfill resumes after its last batch");
    }
    int64_t pause = std::min<int64_t>(2000, 20LL << std::min(++attempt, 7));
    std::this_thread::sleep_for(milliseconds(pause));
  }
}

Result<BackfillResult> Backfill::Run(const json& checkpoint, int64_t estimated_rows) {
  Cursor cursor;
  if (checkpoint.is_object() && sink_ && checkpoint.value("step", -1) == sink_->step) {
    if (checkpoint.contains("last") && !checkpoint["last"].is_null()) {
      cursor.last = ToStrings(checkpoint["last"]);
    }
    if (checkpoint.contains("end") && !checkpoint["end"].is_null()) {
      cursor.end = ToStrings(checkpoint["end"]);
    }
    cursor.page = checkpoint.value("page", 0);
    cursor.end_page = checkpoint.value("end_page", -1);
    cursor.visited = checkpoint.value("visited", 0);
    cursor.changed = checkpoint.value("changed", 0);
    reporter_.Info(fmt::format("    resuming {} after {} rows", spec_.label,
                               FormatCount(cursor.visited)));
  }
  TIDE_TRY(conn_.Run(fmt::format("SET lock_timeout = {}",
                                 QuoteLiteral(std::to_string(options_.lock_timeout.count()) +
                                              "ms"))));
  TIDE_TRY(StartThrottle());
  // Who queues behind a batch comes from pg_stat_activity, which shows other roles' sessions
  // only to superusers and pg_read_all_stats members: say so rather than see no waits.
  TIDE_ASSIGN(auto sees, conn_.QueryValue("SELECT pg_has_role('pg_read_all_stats', 'USAGE')"));
  if (sees && *sees == "f") {
    reporter_.Warn("tide's role is not a member of pg_read_all_stats, so it sees only its own "
                   "role's sessions queue behind a batch; GRANT pg_monitor to it to let the "
                   "application's waits shrink the batches");
  }
  FaultPoint("backfill.before_first_batch");
  auto result = spec_.key.empty() ? RunPages(cursor, estimated_rows)
                                  : RunKeyed(cursor, estimated_rows);
  if (result.ok()) FaultPoint("backfill.end");
  if (!conn_.IsBroken()) (void)conn_.Exec("RESET lock_timeout");
  return result;
}

// Integer keys are walked by key ranges: one statement per batch, no lookup of the bound. Other
// keys (text, uuid, composite) look up the batch's last key with an index scan.
bool Backfill::IntegerKey() const {
  if (spec_.key.size() != 1 || spec_.key_types.size() != 1) return false;
  const std::string& t = spec_.key_types[0];
  return t == "bigint" || t == "integer" || t == "smallint";
}

Result<std::optional<std::vector<std::string>>> Backfill::NextBound(const Cursor& cursor,
                                                                    int64_t size) {
  const size_t n = spec_.key.size();
  std::string key_cols = Join(spec_.key, ", ");
  std::string tuple = n == 1 ? key_cols : "(" + key_cols + ")";
  std::vector<pg::Param> params;
  std::string where = "true";
  int p = 1;
  if (cursor.last) {
    where = fmt::format("{} > {}", tuple, Placeholders(p, n, spec_.key_types));
    for (const auto& v : *cursor.last) params.push_back(v);
    p += static_cast<int>(n);
  }
  if (cursor.end) {
    where += fmt::format(" AND {} <= {}", tuple, Placeholders(p, n, spec_.key_types));
    for (const auto& v : *cursor.end) params.push_back(v);
    p += static_cast<int>(n);
  }
  using Bound = std::optional<std::vector<std::string>>;
  auto row_of = [&](const pg::PgResult& r) -> Bound {
    if (r.rows() == 0 || r.IsNull(0, 0)) return std::nullopt;
    std::vector<std::string> out;
    for (size_t i = 0; i < n; ++i) out.push_back(r.Get(0, static_cast<int>(i)));
    return out;
  };
  if (IntegerKey()) {
    // The next key that exists, then a range of size keys from just before it.
    TIDE_ASSIGN(auto first, conn_.Query(fmt::format("SELECT min({}) FROM {} WHERE {}", key_cols,
                                                    spec_.table, where),
                                        params));
    Bound lo = row_of(first);
    if (!lo) return Bound();
    int64_t upper = std::stoll((*lo)[0]) - 1 + size;
    if (cursor.end) upper = std::min<int64_t>(upper, std::stoll((*cursor.end)[0]));
    return Bound(std::vector<std::string>{std::to_string(upper)});
  }
  params.push_back(std::to_string(size - 1));
  TIDE_ASSIGN(auto r, conn_.Query(fmt::format("SELECT {0} FROM {1} WHERE {2} ORDER BY {0} "
                                              "OFFSET ${3} LIMIT 1",
                                              key_cols, spec_.table, where, p),
                                  params));
  if (Bound b = row_of(r)) return b;
  // Fewer than size keys are left: the last one ends the batch.
  params.pop_back();
  std::vector<std::string> desc;
  for (const auto& k : spec_.key) desc.push_back(k + " DESC");
  TIDE_ASSIGN(auto last, conn_.Query(fmt::format("SELECT {} FROM {} WHERE {} ORDER BY {} LIMIT 1",
                                                 key_cols, spec_.table, where, Join(desc, ", ")),
                                     params));
  return row_of(last);
}

Result<bool> Backfill::FixEnd(Cursor& cursor) {
  if (spec_.live_end || cursor.end) return true;
  // Stop where the table ended when the backfill started, as the statement would have.
  std::vector<std::string> desc;
  for (const auto& k : spec_.key) desc.push_back(k + " DESC");
  TIDE_ASSIGN(auto top, conn_.Exec(fmt::format("SELECT {} FROM {} ORDER BY {} LIMIT 1",
                                               Join(spec_.key, ", "), spec_.table,
                                               Join(desc, ", "))));
  if (top.rows() == 0) return false;
  std::vector<std::string> end;
  for (size_t i = 0; i < spec_.key.size(); ++i) end.push_back(top.Get(0, static_cast<int>(i)));
  cursor.end = end;
  return true;
}

Result<std::optional<std::pair<int64_t, int64_t>>> Backfill::KeySpan() {
  std::optional<std::pair<int64_t, int64_t>> span;
  if (!IntegerKey()) return span;
  TIDE_ASSIGN(auto mm, conn_.Exec(fmt::format("SELECT min({0}), max({0}) FROM {1}",
                                              Join(spec_.key, ", "), spec_.table)));
  if (mm.rows() && !mm.IsNull(0, 0)) span = {{mm.GetInt(0, 0), mm.GetInt(0, 1)}};
  return span;
}

std::string Backfill::KeyedDml(const Cursor& cursor, const std::vector<std::string>& upper,
                               std::vector<pg::Param>& params, int& q) const {
  const size_t n = spec_.key.size();
  const std::string keys = KeyList();
  std::string range;
  if (cursor.last) {
    range = fmt::format("{} > {} AND ", keys, Placeholders(q, n, spec_.key_types));
    for (const auto& v : *cursor.last) params.push_back(v);
    q += static_cast<int>(n);
  }
  range += fmt::format("{} <= {}", keys, Placeholders(q, n, spec_.key_types));
  for (const auto& v : upper) params.push_back(v);
  q += static_cast<int>(n);
  std::string all = spec_.guard.empty() ? range : "(" + spec_.guard + ") AND " + range;
  std::string dml = spec_.where.empty()
                        ? spec_.head + " WHERE " + all
                        : spec_.head + " WHERE (" + spec_.where + ") AND " + all;
  return dml + " RETURNING 1";
}

Result<BackfillResult> Backfill::RunKeyed(Cursor& cursor, int64_t estimated_rows) {
  TIDE_ASSIGN(bool any, FixEnd(cursor));
  if (!any) return BackfillResult{};
  // Progress over an integer key space: the share of the range [min, max] done.
  TIDE_ASSIGN(auto span, KeySpan());
  BackfillResult result;
  result.visited = cursor.visited;
  result.changed = cursor.changed;
  auto started = Clock::now();
  BatchSizer sizer(1000, options_.settings.min_batch, options_.settings.max_batch,
                   options_.settings.target_batch);

  while (true) {
    TIDE_TRY(Throttle(result));
    auto batch_started = Clock::now();
    const int64_t size = sizer.size();
    TIDE_ASSIGN(auto bound, NextBound(cursor, size));
    if (!bound) break;
    FaultPoint("backfill.after_bound");
    const std::vector<std::string>& upper = *bound;

    std::vector<pg::Param> params;
    int q = 1;
    std::string dml = KeyedDml(cursor, upper, params, q);
    int64_t walked_estimate = size;
    if (span && cursor.last) {
      walked_estimate = std::max<int64_t>(0, std::stoll(upper[0]) - std::stoll((*cursor.last)[0]));
    }
    std::string statement;
    if (sink_) {
      json cp = {{"step", sink_->step},          {"last", upper},
                 {"end", cursor.end ? json(*cursor.end) : json(nullptr)},
                 {"visited", result.visited + walked_estimate},
                 {"changed", result.changed}};
      // The count of this batch's rows goes into its own checkpoint, so a resumed run's total
      // is the statement's.
      statement =
          sink_->table.CheckpointedBatch(dml, WithBatchCount(q, "changed"), q + 1, kWaiters);
      params.push_back(DumpJson(cp));
      params.push_back(sink_->script);
    } else {
      statement = fmt::format("WITH tide_batch AS ({}) SELECT count(*), {} FROM tide_batch", dml,
                              kWaiters);
    }
    TIDE_ASSIGN(BatchOutcome done, RunBatch(statement, params, result));
    FaultPoint("backfill.after_batch_commit");
    cursor.last = upper;
    result.visited += walked_estimate;
    result.changed += done.changed;
    AfterBatch(sizer, batch_started, done, result);
    ReportProgress(result, cursor.visited, started, std::max(estimated_rows, result.visited),
                   sizer);
  }
  return Finished(result, cursor.visited, started, sizer);
}

Result<BackfillResult> Backfill::RunPages(Cursor& cursor, int64_t estimated_rows) {
  auto pages_now = [&]() -> Result<int64_t> {
    TIDE_ASSIGN(auto v, conn_.QueryValue(fmt::format(
                            "SELECT pg_relation_size({0}::regclass) / "
                            "current_setting('block_size')::bigint",
                            QuoteLiteral(spec_.table))));
    return v ? std::stoll(*v) : 0;
  };
  if (cursor.end_page < 0) {
    TIDE_ASSIGN(cursor.end_page, pages_now());
  }
  BackfillResult result;
  result.visited = cursor.visited;
  result.changed = cursor.changed;
  auto started = Clock::now();
  BatchSizer sizer(8, 1, int64_t{1} << 30, options_.settings.target_batch);
  std::string ctid = spec_.alias.empty() ? spec_.table + ".ctid" : QuoteIdent(spec_.alias) + ".ctid";
  while (true) {
    if (cursor.page >= cursor.end_page) {
      if (!spec_.live_end) break;
      TIDE_ASSIGN(int64_t now, pages_now());
      if (now <= cursor.end_page) break;
      cursor.end_page = now;
    }
    TIDE_TRY(Throttle(result));
    int64_t next = cursor.page + sizer.size();
    std::string range = fmt::format("{0} >= $1::tid AND {0} < $2::tid", ctid);
    std::string all = spec_.guard.empty() ? range : "(" + spec_.guard + ") AND " + range;
    std::string dml = (spec_.where.empty() ? spec_.head + " WHERE " + all
                                           : spec_.head + " WHERE (" + spec_.where + ") AND " + all) +
                      " RETURNING 1";
    std::vector<pg::Param> params = {fmt::format("({},0)", cursor.page),
                                     fmt::format("({},0)", next)};
    std::string statement;
    if (sink_) {
      json cp = {{"step", sink_->step}, {"page", next}, {"end_page", cursor.end_page},
                 {"visited", result.visited}, {"changed", result.changed}};
      statement = sink_->table.CheckpointedBatch(
          dml,
          fmt::format("jsonb_set({}, '{{visited}}', to_jsonb(($3::jsonb->>'visited')::bigint + "
                      "(SELECT count(*) FROM tide_batch)))",
                      WithBatchCount(3, "changed")),
          4, kWaiters);
      params.push_back(DumpJson(cp));
      params.push_back(sink_->script);
    } else {
      statement = fmt::format("WITH tide_batch AS ({}) SELECT count(*), {} FROM tide_batch", dml,
                              kWaiters);
    }
    auto batch_started = Clock::now();
    TIDE_ASSIGN(BatchOutcome done, RunBatch(statement, params, result));
    FaultPoint("backfill.after_batch_commit");
    cursor.page = next;
    result.changed += done.changed;
    result.visited += done.changed;
    AfterBatch(sizer, batch_started, done, result);
    ReportProgress(result, cursor.visited, started, std::max(estimated_rows, result.visited),
                   sizer);
  }
  return Finished(result, cursor.visited, started, sizer);
}

}  // namespace tide::exec
