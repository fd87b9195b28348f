// tide plan: the steps tide would run for each pending migration, and why.
#include <fmt/format.h>

#include "base/strings.h"
#include "base/text.h"
#include "cli/context.h"
#include "migrate/migrator.h"
#include "migrate/placeholders.h"
#include "store/state.h"

namespace tide::cli {

namespace {

struct PlanFlags {
  std::string target = "latest";
  bool offline = false;
  bool out_of_order = false;
};

std::string Describe(const migrate::PlannedMigration& p) {
  const auto& plan = p.plan;
  std::string out = fmt::format(
      "{} ({}): {} step{} in {} transaction{}{}\n", p.file->Label(), p.file->script,
      plan.steps.size(), plan.steps.size() == 1 ? "" : "s", plan.GroupCount(),
      plan.GroupCount() == 1 ? "" : "s",
      p.resuming ? ", " + store::ResumingAt(p.next_step, static_cast<int>(plan.steps.size())) : "");
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const auto& s = plan.steps[i];
    std::string how = s.kind == plan::StepKind::kBackfill ? "batched"
                      : !s.transactional                  ? "no transaction"
                                                          : fmt::format("tx {}", s.group + 1);
    rows.push_back({std::to_string(i + 1), Abbreviate(OneLine(s.sql), 70),
                    s.lock == sql::Lock::kNone ? "-" : sql::LockName(s.lock), how,
                    s.estimated_rows >= 0 ? FormatCount(s.estimated_rows) : ""});
  }
  std::string table = FormatTable({"#", "step", "lock", "runs", "rows"}, rows);
  for (const auto& line : Split(table, '\n')) {
    if (!line.empty()) out += "  " + line + "\n";
  }
  for (const auto& n : plan.notes) {
    out += fmt::format("  note (line {}, {}): {}\n", n.line, n.rule, n.text);
  }
  for (const auto& r : plan.refusals) {
    out += fmt::format("  REFUSED (line {}, {}): {}\n    safe way: {}\n", r.line, r.rule,
                       r.message, r.recipe);
  }
  return out;
}

Status RunPlan(Context& ctx, const PlanFlags& flags) {
  TIDE_ASSIGN(const config::Settings* settings, ctx.Settings());
  TIDE_ASSIGN(auto discovery, source::DiscoverMigrations(*settings, ctx.reporter()));
  std::vector<migrate::PlannedMigration> planned;
  if (flags.offline) {
    TIDE_ASSIGN(planned, migrate::PlanOffline(*settings, discovery));
  } else {
    TIDE_ASSIGN(auto session, store::Session::Open(*settings));
    TIDE_TRY(migrate::ResolveRepeatables(*settings, session.conn(), session.schema(), discovery));
    migrate::MigrateOptions options;
    options.target = flags.target;
    options.out_of_order = flags.out_of_order;
    TIDE_ASSIGN(planned, migrate::PlanPending(session, *settings, discovery, options,
                                              ctx.reporter()));
  }
  nlohmann::json doc = nlohmann::json::array();
  std::string text;
  int refusals = 0;
  for (const auto& p : planned) {
    nlohmann::json j = p.plan.ToJson();
    j["script"] = p.file->script;
    j["version"] = p.file->VersionText();
    j["description"] = p.file->description;
    j["resuming"] = p.resuming;
    doc.push_back(std::move(j));
    text += Describe(p) + "\n";
    refusals += static_cast<int>(p.plan.refusals.size());
  }
  if (planned.empty()) text = "Nothing to plan: no migration is pending.\n";
  if (flags.offline) {
    text += "(offline: every existing table is assumed big; with a database, tables below "
            "small_table_rows run as written)\n";
  }
  ctx.Print(text);
  ctx.PrintJson({{"offline", flags.offline}, {"migrations", doc}});
  if (refusals > 0) {
    return Error::Input(fmt::format("{} statement{} would be refused", refusals,
                                    refusals == 1 ? "" : "s"))
        .WithHint("see the safe way under each REFUSED line");
  }
  return Ok();
}

}  // namespace

void AddPlanCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "plan", "the safe steps tide would run: SQL, lock level, transaction, row estimate");
  auto flags = std::make_shared<PlanFlags>();
  cmd->add_option("--target", flags->target, "plan up to this version")->type_name("V");
  cmd->add_flag("--offline", flags->offline,
                "no database: plan every file, assuming existing tables are big");
  cmd->add_flag("--out-of-order", flags->out_of_order,
                "include pending migrations older than the newest applied one");
  cmd->footer(
      "\nEach statement becomes steps: on big tables a whole-table UPDATE is batched, CREATE "
      "INDEX runs\nCONCURRENTLY, constraints go in NOT VALID then VALIDATE, SET NOT NULL uses a "
      "validated check;\non new or small tables statements run as written in one transaction. "
      "Steps tide would refuse\nare shown with the safe way (exit 2).\n"
      "\nExamples:\n"
      "  tide plan\n"
      "  tide plan --offline --locations migrations      # in CI, without a database\n"
      "  tide --json plan | jq '.migrations[].steps[] | {sql, lock}'");
  cmd->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return RunPlan(ctx, *flags); }; });
}

}  // namespace tide::cli
