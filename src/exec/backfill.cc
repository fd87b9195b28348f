#include "exec/backfill.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "base/fault.h"
#include "base/json_text.h"
#include "base/strings.h"

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

Status Backfill::Throttle(BackfillResult& result) {
  if (!options_.settings.max_replica_lag_bytes) return Ok();
  bool said = false;
  auto started = Clock::now();
  while (true) {
    TIDE_ASSIGN(auto lag, conn_.QueryValue(
                              "SELECT coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), "
                              "replay_lsn)), 0)::bigint FROM pg_stat_replication"));
    int64_t bytes = lag ? std::stoll(*lag) : 0;
    if (bytes <= *options_.settings.max_replica_lag_bytes) break;
    if (!said) {
      reporter_.Info(fmt::format("    paused: a standby is {} bytes behind (limit {})",
                                 FormatCount(bytes),
                                 FormatCount(*options_.settings.max_replica_lag_bytes)));
      said = true;
    }
    std::this_thread::sleep_for(milliseconds(200));
  }
  result.throttled += std::chrono::duration_cast<milliseconds>(Clock::now() - started);
  return Ok();
}

Result<int64_t> Backfill::RunBatch(const std::string& statement, std::vector<pg::Param> params,
                                   BackfillResult& result) {
  auto started = Clock::now();
  int attempt = 0;
  while (true) {
    auto r = conn_.Query(statement, params);
    if (r.ok()) return r->rows() ? r->GetInt(0, 0) : 0;
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

Result<BackfillResult> Backfill::RunKeyed(Cursor& cursor, int64_t estimated_rows) {
  const size_t n = spec_.key.size();
  const std::string keys = KeyList();
  std::string key_cols = Join(spec_.key, ", ");
  std::vector<std::string> desc;
  for (const auto& k : spec_.key) desc.push_back(k + " DESC");

  if (!spec_.live_end && !cursor.end) {
    // Stop where the table ended when the backfill started, as the statement would have.
    TIDE_ASSIGN(auto top, conn_.Exec(fmt::format("SELECT {} FROM {} ORDER BY {} LIMIT 1",
                                                 key_cols, spec_.table, Join(desc, ", "))));
    if (top.rows() == 0) return BackfillResult{};
    std::vector<std::string> end;
    for (size_t i = 0; i < n; ++i) end.push_back(top.Get(0, static_cast<int>(i)));
    cursor.end = end;
  }
  // Progress over an integer key space: the share of the range [min, max] done.
  std::optional<std::pair<int64_t, int64_t>> span;
  if (IntegerKey()) {
    TIDE_ASSIGN(auto mm, conn_.Exec(fmt::format("SELECT min({0}), max({0}) FROM {1}", key_cols,
                                                spec_.table)));
    if (mm.rows() && !mm.IsNull(0, 0)) span = {{mm.GetInt(0, 0), mm.GetInt(0, 1)}};
  }

  std::string condition;
  if (!spec_.guard.empty()) condition = "(" + spec_.guard + ")";
  auto with_condition = [&](const std::string& range) {
    std::string all = condition.empty() ? range : condition + " AND " + range;
    if (spec_.where.empty()) return spec_.head + " WHERE " + all;
    return spec_.head + " WHERE (" + spec_.where + ") AND " + all;
  };

  BackfillResult result;
  result.visited = cursor.visited;
  result.changed = cursor.changed;
  auto started = Clock::now();
  int64_t size = std::clamp<int64_t>(1000, options_.settings.min_batch, options_.settings.max_batch);
  double ms_per_key = 0;
  const double target_ms = static_cast<double>(options_.settings.target_batch.count());

  while (true) {
    TIDE_TRY(Throttle(result));
    auto batch_started = Clock::now();
    TIDE_ASSIGN(auto bound, NextBound(cursor, size));
    if (!bound) break;
    FaultPoint("backfill.after_bound");
    const std::vector<std::string>& upper = *bound;

    std::vector<pg::Param> params;
    std::string range;
    int q = 1;
    if (cursor.last) {
      range = fmt::format("{} > {} AND ", keys, Placeholders(q, n, spec_.key_types));
      for (const auto& v : *cursor.last) params.push_back(v);
      q += static_cast<int>(n);
    }
    range += fmt::format("{} <= {}", keys, Placeholders(q, n, spec_.key_types));
    for (const auto& v : upper) params.push_back(v);
    q += static_cast<int>(n);
    std::string dml = with_condition(range) + " RETURNING 1";
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
      statement = fmt::format(
          "WITH tide_batch AS ({0}) UPDATE {1} SET checkpoint = {2}, updated_at = now() "
          "WHERE script = ${3} RETURNING (SELECT count(*) FROM tide_batch)",
          dml, sink_->state_table, WithBatchCount(q, "changed"), q + 1);
      params.push_back(DumpJson(cp));
      params.push_back(sink_->script);
    } else {
      statement = fmt::format("WITH tide_batch AS ({}) SELECT count(*) FROM tide_batch", dml);
    }
    TIDE_ASSIGN(int64_t changed, RunBatch(statement, params, result));
    FaultPoint("backfill.after_batch_commit");
    cursor.last = upper;
    result.visited += walked_estimate;
    result.changed += changed;
    ++result.batches;

    double took = std::chrono::duration<double, std::milli>(Clock::now() - batch_started).count();
    double per_key = took / static_cast<double>(std::max<int64_t>(size, 1));
    ms_per_key = ms_per_key == 0 ? per_key : 0.7 * ms_per_key + 0.3 * per_key;
    int64_t desired = static_cast<int64_t>(target_ms / std::max(ms_per_key, 1e-6));
    size = std::clamp(desired, size / 2, size * 2);
    size = std::clamp(size, options_.settings.min_batch, options_.settings.max_batch);

    double secs = std::chrono::duration<double>(Clock::now() - started).count();
    int64_t total = std::max(estimated_rows, result.visited);
    reporter_.Update({spec_.label, result.visited, total,
                      secs > 0 ? static_cast<double>(result.visited - cursor.visited) / secs : 0,
                      size});
    if (options_.settings.pause.count() > 0) std::this_thread::sleep_for(options_.settings.pause);
  }
  result.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
  double secs = std::chrono::duration<double>(result.elapsed).count();
  result.rows_per_second = secs > 0 ? static_cast<double>(result.visited - cursor.visited) / secs
                                    : 0;
  reporter_.Finish({spec_.label, result.visited, result.visited, result.rows_per_second, size});
  return result;
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
  int64_t pages = 8;
  double ms_per_page = 0;
  const double target_ms = static_cast<double>(options_.settings.target_batch.count());
  std::string ctid = spec_.alias.empty() ? spec_.table + ".ctid" : QuoteIdent(spec_.alias) + ".ctid";
  while (true) {
    if (cursor.page >= cursor.end_page) {
      if (!spec_.live_end) break;
      TIDE_ASSIGN(int64_t now, pages_now());
      if (now <= cursor.end_page) break;
      cursor.end_page = now;
    }
    TIDE_TRY(Throttle(result));
    int64_t next = cursor.page + pages;
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
      statement = fmt::format(
          "WITH tide_batch AS ({}) UPDATE {} SET checkpoint = {}, updated_at = now() "
          "WHERE script = $4 RETURNING (SELECT count(*) FROM tide_batch)",
          dml, sink_->state_table,
          fmt::format("jsonb_set({}, '{{visited}}', to_jsonb(($3::jsonb->>'visited')::bigint + "
                      "(SELECT count(*) FROM tide_batch)))",
                      WithBatchCount(3, "changed")));
      params.push_back(DumpJson(cp));
      params.push_back(sink_->script);
    } else {
      statement = fmt::format("WITH tide_batch AS ({}) SELECT count(*) FROM tide_batch", dml);
    }
    auto batch_started = Clock::now();
    TIDE_ASSIGN(int64_t changed, RunBatch(statement, params, result));
    FaultPoint("backfill.after_batch_commit");
    cursor.page = next;
    result.changed += changed;
    result.visited += changed;
    ++result.batches;
    double took = std::chrono::duration<double, std::milli>(Clock::now() - batch_started).count();
    double per_page = took / static_cast<double>(pages);
    ms_per_page = ms_per_page == 0 ? per_page : 0.7 * ms_per_page + 0.3 * per_page;
    pages = std::clamp<int64_t>(static_cast<int64_t>(target_ms / std::max(ms_per_page, 1e-6)),
                                std::max<int64_t>(1, pages / 2), pages * 2);
    double secs = std::chrono::duration<double>(Clock::now() - started).count();
    reporter_.Update({spec_.label, result.visited, std::max(estimated_rows, result.visited),
                      secs > 0 ? static_cast<double>(result.visited - cursor.visited) / secs : 0,
                      pages});
  }
  result.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
  double secs = std::chrono::duration<double>(result.elapsed).count();
  result.rows_per_second = secs > 0 ? static_cast<double>(result.visited - cursor.visited) / secs
                                    : 0;
  reporter_.Finish({spec_.label, result.visited, result.visited, result.rows_per_second, pages});
  return result;
}

}  // namespace tide::exec
