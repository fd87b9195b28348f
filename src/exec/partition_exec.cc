#include "exec/partition_exec.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/fault.h"
#include "base/strings.h"
#include "plan/names.h"

namespace tide::exec {

namespace {

// The CHECK constraints of table, by name.
Result<nlohmann::json> CheckNames(pg::Connection& conn, const std::string& table) {
  TIDE_ASSIGN(auto r, conn.Query("SELECT conname FROM pg_constraint WHERE conrelid = "
                                 "to_regclass($1) AND contype = 'c' ORDER BY 1",
                                 {table}));
  nlohmann::json names = nlohmann::json::array();
  for (int i = 0; i < r.rows(); ++i) names.push_back(r.Get(i, 0));
  return names;
}

}  // namespace

Status DetachPartitionConcurrently(LockRetry& retry, Reporter& reporter, pg::Connection& conn,
                                   const plan::Step& step, nlohmann::json& outputs,
                                   int step_index, const std::function<Status()>& save) {
  if (step.lock_tables.empty() || step.object_name.empty()) {
    return Error::Internal("a concurrent detach step without its table and partition");
  }
  const std::string& parent = step.lock_tables[0];
  const std::string& partition = step.object_name;
  std::string started_key = fmt::format("detach_started:{}", step_index);
  std::string before_key = fmt::format("detach_checks_before:{}", step_index);
  const std::string state_sql =
      "SELECT i.inhdetachpending::text FROM pg_inherits i WHERE i.inhrelid = to_regclass($1) "
      "AND i.inhparent = to_regclass($2)";
  TIDE_ASSIGN(auto state, conn.QueryValue(state_sql, {partition, parent}));
  bool started = outputs.contains(started_key);
  if (state.has_value()) {
    // DETACH ... CONCURRENTLY leaves the partition with a CHECK equal to its partition
    // constraint (unless one implied it already); a plain DETACH does not, so tide drops it.
    if (*state == "false" && !outputs.contains(before_key)) {
      TIDE_ASSIGN(outputs[before_key], CheckNames(conn, partition));
    }
  }
  if (!started || state.has_value()) {
    outputs[started_key] = true;
    TIDE_TRY(save());
  }
  // The constraint PostgreSQL adds is named <partition>_check (ChooseConstraintName), or
  // _check1... when taken; one that was there before the detach started is the user's.
  auto drop_added_check = [&](pg::Connection& c) -> Status {
    TIDE_ASSIGN(auto relname, c.QueryValue("SELECT relname FROM pg_class WHERE oid = "
                                           "to_regclass($1)",
                                           {partition}));
    if (!relname) return Ok();
    TIDE_ASSIGN(auto checks, CheckNames(c, partition));
    const nlohmann::json before =
        outputs.contains(before_key) ? outputs[before_key] : nlohmann::json::array();
    for (const auto& item : checks) {
      std::string name = item.get<std::string>();
      if (std::find(before.begin(), before.end(), name) != before.end()) continue;
      bool generated = false;
      for (int n = 0; n < 100 && !generated; ++n) {
        generated = name == plan::MakeObjectName(*relname, "",
                                                 n == 0 ? "check" : "check" + std::to_string(n));
      }
      if (!generated) continue;
      TIDE_TRY(c.Run(fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", partition,
                                 QuoteIdent(name))));
    }
    return Ok();
  };
  return retry.Run(
      "DETACH PARTITION CONCURRENTLY", step.lock_tables, step.lock, /*transactional=*/false,
      [&](pg::Connection& c) -> Status {
        TIDE_ASSIGN(auto now, c.QueryValue(state_sql, {partition, parent}));
        if (!now.has_value() && started) {
          reporter.Info(fmt::format("    {} is detached already (an earlier run finished it)",
                                    partition));
          return drop_added_check(c);
        }
        if (now.has_value() && *now == "true") {
          reporter.Info(fmt::format("    {} was left detach pending by an interrupted run: "
                                    "finishing it with FINALIZE",
                                    partition));
          TIDE_TRY(c.Run(fmt::format("ALTER TABLE {} DETACH PARTITION {} FINALIZE", parent,
                                     partition)));
          return drop_added_check(c);
        }
        FaultPoint("detach.before");
        started = true;  // a retry that finds it detached: this attempt finished it
        TIDE_TRY(c.Run(step.sql));
        FaultPoint("detach.after");
        return drop_added_check(c);
      });
}

}  // namespace tide::exec
