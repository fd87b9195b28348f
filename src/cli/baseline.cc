// tide baseline: start tide's history on a database that already has a schema.
#include <fmt/format.h>

#include "cli/context.h"
#include "migrate/maintenance.h"

namespace tide::cli {

namespace {

struct BaselineFlags {
  std::optional<std::string> version;      // unset: flyway.baselineVersion, else 1
  std::optional<std::string> description;  // unset: flyway.baselineDescription
};

Status RunBaseline(Context& ctx, const BaselineFlags& flags) {
  TIDE_ASSIGN(const config::Settings* settings, ctx.Settings());
  TIDE_ASSIGN(auto session, store::Session::Open(*settings));
  std::string version = flags.version.value_or(settings->baseline_version);
  TIDE_TRY(migrate::Baseline(session, *settings, version,
                             flags.description.value_or(settings->baseline_description),
                             ctx.reporter()));
  ctx.PrintJson({{"ok", true}, {"baseline_version", version}});
  return Ok();
}

}  // namespace

void AddBaselineCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "baseline", "record that an existing database is at version V; older migrations never run");
  auto flags = std::make_shared<BaselineFlags>();
  cmd->add_option("--version", flags->version, "the version the database is at (default: flyway.baselineVersion, else 1)")
      ->type_name("V");
  cmd->add_option("--description", flags->description,
                  "description of the baseline row (default << Flyway Baseline >>)");
  cmd->footer(
      "\nExample: a production database built by hand up to what V3 describes:\n"
      "  tide baseline --version 3 && tide migrate      # runs V4 and later");
  cmd->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return RunBaseline(ctx, *flags); }; });
}

}  // namespace tide::cli
