// tide repair: fix the history table after a failure or a harmless edit.
#include <fmt/format.h>

#include "cli/context.h"
#include "migrate/maintenance.h"
#include "migrate/placeholders.h"

namespace tide::cli {

namespace {

Status RunRepair(Context& ctx) {
  TIDE_ASSIGN(const config::Settings* settings, ctx.Settings());
  TIDE_ASSIGN(auto discovery, source::DiscoverMigrations(*settings, ctx.reporter()));
  TIDE_ASSIGN(auto session, store::Session::Open(*settings));
  TIDE_TRY(migrate::ResolveRepeatables(*settings, session.conn(), session.schema(), discovery));
  TIDE_ASSIGN(auto result, migrate::Repair(session, *settings, discovery, ctx.reporter()));
  ctx.Print(fmt::format("Repair: {} failed row{} removed, {} realigned, {} marked deleted.",
                        result.removed_failed, result.removed_failed == 1 ? "" : "s",
                        result.realigned, result.marked_deleted));
  ctx.PrintJson({{"ok", true},
                 {"removed_failed", result.removed_failed},
                 {"realigned", result.realigned},
                 {"marked_deleted", result.marked_deleted}});
  return Ok();
}

}  // namespace

void AddRepairCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "repair", "remove failed history rows, realign checksums, mark missing files deleted");
  cmd->footer(
      "\nUse it after a failed migration whose effects you have undone by hand, or after an\n"
      "edit to an applied file that does not change what it does (a comment). A failed\n"
      "migration that tide half-applied is given up: its stored run is forgotten (the next\n"
      "migrate plans the file again) and tide's temporary NOT NULL check is dropped.\n"
      "Example:\n"
      "  tide repair && tide validate");
  cmd->callback([&ctx] { ctx.action = [&ctx] { return RunRepair(ctx); }; });
}

}  // namespace tide::cli
