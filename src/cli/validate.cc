// tide validate: local files against the history table.
#include <fmt/format.h>

#include "cli/context.h"
#include "migrate/migrator.h"
#include "migrate/placeholders.h"

namespace tide::cli {

namespace {

Status RunValidate(Context& ctx, bool out_of_order) {
  TIDE_ASSIGN(const config::Settings* settings, ctx.Settings());
  TIDE_ASSIGN(auto discovery, source::DiscoverMigrations(*settings, ctx.reporter()));
  TIDE_ASSIGN(auto session, store::Session::Open(*settings));
  TIDE_TRY(migrate::ResolveRepeatables(*settings, session.conn(), session.schema(), discovery));
  TIDE_ASSIGN(auto statuses, migrate::LoadStatus(session, discovery, {std::nullopt, out_of_order},
                                                 nullptr));
  auto issues = migrate::Validate(statuses, out_of_order);
  int pending = 0;
  for (const auto& s : statuses) pending += s.WillRun();
  nlohmann::json list = nlohmann::json::array();
  for (const auto& i : issues) {
    list.push_back({{"script", i.script}, {"message", i.message}, {"hint", i.hint}});
  }
  ctx.PrintJson({{"ok", issues.empty()}, {"issues", list}, {"pending", pending}});
  if (issues.empty()) {
    ctx.Print(fmt::format("Validated {} migrations: no problems ({} pending).",
                          discovery.migrations.size(), pending));
    return Ok();
  }
  std::string text;
  for (const auto& i : issues) text += fmt::format("  - {}\n    fix: {}\n", i.message, i.hint);
  ctx.Print(fmt::format("Validation found {} problem{}:\n{}", issues.size(),
                        issues.size() == 1 ? "" : "s", text));
  return Error::Failed(fmt::format("validation failed with {} problem{}", issues.size(),
                                   issues.size() == 1 ? "" : "s"));
}

}  // namespace

void AddValidateCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "validate", "local files vs history: checksum changed, missing, failed, out of order");
  auto out_of_order = std::make_shared<bool>(false);
  cmd->add_flag("--out-of-order", *out_of_order,
                "accept pending migrations older than the newest applied one");
  cmd->footer(
      "\nExit code 1 when a migration's file changed after it was applied, an applied file is "
      "missing,\na migration failed, or a pending one is older than the newest applied one.\n"
      "\nExample (a CI step before deploying):\n"
      "  tide validate || exit 1");
  cmd->callback([&ctx, out_of_order] {
    ctx.action = [&ctx, out_of_order] { return RunValidate(ctx, *out_of_order); };
  });
}

}  // namespace tide::cli
