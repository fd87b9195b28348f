// The executor's halves of a declarative migration (see executor.h): the expand planned from the
// YAML file, the contract and the rollback run from the lists stored with the expand. All three
// go through RunPlan, so lock discipline, batching, progress and resume are the executor's own.
#include <fmt/format.h>

#include "base/fault.h"
#include "base/strings.h"
#include "exec/executor.h"
#include "exec/pg_catalog.h"
#include "store/declarative_state.h"

namespace tide::exec {

using store::ContractKey;
using store::MigrationState;
using store::ResumingAt;
using store::RollbackKey;

using nlohmann::json;

const char* Executor::AgainCommand() const {
  switch (half_) {
    case Half::kWhole:
      return "tide migrate";
    case Half::kContract:
      return "tide contract";
    case Half::kRollback:
      return "tide rollback";
  }
  return "tide migrate";
}

Result<ops::DeclarativePlan> Executor::PlanDeclarative(const source::MigrationFile& file) {
  TIDE_ASSIGN(ops::Migration migration, ops::LoadMigration(file.SqlText(), file.path.string()));
  pg::Connection& conn = session_.conn();
  PgCatalog catalog(conn, settings_.backfill.small_table_rows);
  TIDE_ASSIGN(ops::DeclarativePlan planned,
              ops::PlanMigration(migration, catalog, {session_.schema(), file.VersionText()}));
  for (const auto& probe : planned.probes) {
    auto ran = conn.Exec(probe.sql);
    if (ran.ok()) continue;
    return Error::Input(fmt::format("{} cannot be computed: {}", probe.what, ran.error().message()))
        .At(probe.at)
        .WithHint(
            "the sync trigger evaluates it for every row a release writes: fix it so "
            "that PostgreSQL accepts it for this table and type (nothing was run)");
  }
  if (!planned.views_schema.empty()) {
    TIDE_ASSIGN(auto taken, conn.QueryValue("SELECT 1 FROM pg_namespace WHERE nspname = $1",
                                            {planned.views_schema}));
    if (taken) {
      return Error::Input(fmt::format("schema {} exists already: tide would put the new "
                                      "release's views there and drop it at the contract",
                                      planned.views_schema))
          .At({file.path.string(), 0, 0})
          .WithHint("rename or drop that schema, or give the migration another version");
    }
  }
  plan::Plan& expand = planned.expand;
  expand.notes.push_back(
      {-1, 0, "declarative",
       fmt::format("then tide contract runs {} step{}; tide rollback would run "
                   "{}",
                   planned.contract.steps.size(), planned.contract.steps.size() == 1 ? "" : "s",
                   planned.rollback.steps.size())});
  if (!planned.views_schema.empty()) {
    expand.notes.push_back(
        {-1, 0, "search-path", "the new release sets search_path = " + planned.search_path});
  }
  return planned;
}

Status Executor::ApplyDeclarativeExpand(const source::MigrationFile& file) {
  TIDE_ASSIGN(ops::DeclarativePlan planned, PlanDeclarative(file));
  MigrationState state;
  state.script = file.script;
  state.version = file.version ? std::optional<std::string>(file.version->text()) : std::nullopt;
  state.description = file.description;
  state.checksum = file.checksum;
  state.phase = "expand";
  state.steps = static_cast<int>(planned.expand.steps.size());
  state.plan = planned.expand.ToJson();
  state.plan["declarative"] = planned.HalvesToJson();
  TIDE_TRY(state_.Start(session_.conn(), state));
  FaultPoint("state.started");
  TIDE_TRY(RunPlan(file, planned.expand, 0, json::object(), json(), false));
  if (!planned.views_schema.empty()) {
    reporter_.Info(fmt::format("  the new release sets: search_path = {}", planned.search_path));
  }
  return Ok();
}

Status Executor::ApplyContract(const source::MigrationFile& file) {
  return ApplyHalf(file, Half::kContract);
}

Status Executor::ApplyRollback(const source::MigrationFile& file) {
  return ApplyHalf(file, Half::kRollback);
}

Status Executor::ApplyHalf(const source::MigrationFile& file, Half half) {
  pg::Connection& conn = session_.conn();
  TIDE_TRY(state_.CreateIfMissing(conn));
  half_ = half;
  started_ = std::chrono::steady_clock::now();
  last_steps_.clear();
  bool contract = half == Half::kContract;
  source::MigrationFile unit = file;
  unit.script = contract ? ContractKey(file.script) : RollbackKey(file.script);
  unit.description = file.description + (contract ? " (contract)" : " (rollback)");
  TIDE_ASSIGN(auto existing, state_.Load(conn, unit.script));
  if (existing && existing->status != store::RunStatus::kDone) {
    TIDE_ASSIGN(plan::Plan stored, plan::Plan::FromJson(existing->plan));
    reporter_.Info("  " + ResumingAt(existing->next_step, static_cast<int>(stored.steps.size())));
    return RunPlan(unit, stored, existing->next_step, existing->outputs, existing->checkpoint,
                   true);
  }
  TIDE_ASSIGN(auto expanded, state_.Load(conn, file.script));
  if (!expanded || !expanded->plan.contains("declarative")) {
    return Error::Failed(
               fmt::format("{} has no stored plan: tide did not run its expand", file.Label()))
        .WithHint(
            "a declarative migration is contracted or rolled back by the tide that "
            "expanded it");
  }
  if (contract && expanded->status != store::RunStatus::kDone) {
    return Error::Failed(fmt::format("the expand of {} did not finish (step {} of {})",
                                     file.Label(), expanded->next_step + 1, expanded->steps))
        .WithHint("run tide expand to finish it, or tide rollback to undo it");
  }
  TIDE_ASSIGN(ops::DeclarativePlan halves,
              ops::DeclarativePlan::HalvesFromJson(expanded->plan["declarative"]));
  plan::Plan& steps = contract ? halves.contract : halves.rollback;
  MigrationState state;
  state.script = unit.script;
  state.version = expanded->version;
  state.description = unit.description;
  state.checksum = expanded->checksum;
  state.phase = contract ? "contract" : "rollback";
  state.steps = static_cast<int>(steps.steps.size());
  state.plan = steps.ToJson();
  TIDE_TRY(state_.Start(conn, state));
  FaultPoint("state.started");
  return RunPlan(unit, steps, 0, json::object(), json(), false);
}

Status Executor::RecordHalf(const source::MigrationFile& unit) {
  pg::Connection& conn = session_.conn();
  if (half_ == Half::kContract) {
    TIDE_TRY(state_.Finish(conn, unit.script));
    FaultPoint("state.finished");
    return Ok();
  }
  // A rollback leaves no trace of the expand: the file is pending again, as before it ran.
  std::string script = unit.script.substr(0, unit.script.size() - RollbackKey("").size());
  TIDE_TRY(session_.history().DeleteScript(conn, script));
  TIDE_TRY(state_.Delete(conn, ContractKey(script)));
  TIDE_TRY(state_.Delete(conn, script));
  TIDE_TRY(state_.Delete(conn, unit.script));
  FaultPoint("state.finished");
  return Ok();
}

}  // namespace tide::exec
