// tide rollback: undo the expand of declarative migrations that have not been contracted.
#include "migrate/rollback.h"

#include <fmt/format.h>

#include "base/strings.h"
#include "cli/context.h"
#include "migrate/placeholders.h"

namespace tide::cli {

namespace {

Status RunRollback(Context& ctx, const migrate::RollbackOptions& options) {
  TIDE_ASSIGN(const config::Settings* settings, ctx.Settings());
  TIDE_ASSIGN(auto discovery, source::DiscoverMigrations(*settings, ctx.reporter()));
  TIDE_ASSIGN(auto session, store::Session::Open(*settings));
  TIDE_TRY(migrate::ResolveRepeatables(*settings, session.conn(), session.schema(), discovery));
  TIDE_ASSIGN(auto result,
              migrate::Rollback(session, *settings, discovery, options, ctx.reporter()));
  if (options.dry_run) {
    ctx.Print(result.rolled_back.empty()
                  ? "Dry run: nothing to roll back."
                  : "Dry run: would roll back, in order:\n  " + Join(result.rolled_back, "\n  "));
    ctx.PrintJson({{"ok", true}, {"dry_run", true}, {"would_roll_back", result.rolled_back}});
    return Ok();
  }
  if (!result.rolled_back.empty()) {
    ctx.Print(
        fmt::format("Rolled back {} migration{}; schema is now at version {}.",
                    result.rolled_back.size(), result.rolled_back.size() == 1 ? "" : "s",
                    result.schema_version.empty() ? "<< Empty Schema >>" : result.schema_version));
  }
  ctx.PrintJson({{"ok", true},
                 {"rolled_back", result.rolled_back},
                 {"schema_version", result.schema_version}});
  return Ok();
}

}  // namespace

void AddRollbackCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "rollback", "undo an expand that has not been contracted (declarative migrations)");
  auto options = std::make_shared<migrate::RollbackOptions>();
  cmd->add_flag("--dry-run", options->dry_run, "say what would be rolled back; change nothing");
  cmd->footer(
      "\nUndoes the newest declarative (.yaml) migrations whose expand ran and whose contract "
      "did not,\nnewest first, also a half-applied expand: the new release's views and the sync "
      "triggers go,\nthen what the expand added. The old release's tables are left as they were, "
      "with every row\neither release wrote. The history row goes too: the file is pending "
      "again. Stop the new\nrelease first: its views disappear.\n"
      "\nWith nothing open (the newest applied migration is SQL, or was contracted) it says so "
      "and\nexits 0, so rerunning an interrupted rollback is safe. A started contract cannot "
      "be\nrolled back (exit 1): finish it with tide contract.\n"
      "\nExamples:\n"
      "  tide rollback --dry-run\n"
      "  tide rollback");
  cmd->callback(
      [&ctx, options] { ctx.action = [&ctx, options] { return RunRollback(ctx, *options); }; });
}

}  // namespace tide::cli
