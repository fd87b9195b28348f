// tide migrate: apply pending migrations.
#include <fmt/format.h>

#include "cli/context.h"
#include "migrate/placeholders.h"
#include "migrate/migrator.h"

namespace tide::cli {

namespace {

struct MigrateFlags {
  migrate::MigrateOptions options;
  std::optional<std::string> target;  // unset: flyway.target, else latest
  bool plain = false;
};

Status RunMigrate(Context& ctx, MigrateFlags flags) {
  TIDE_ASSIGN(const config::Settings* settings, ctx.Settings());
  TIDE_ASSIGN(auto discovery, migrate::DiscoverMigrations(*settings, ctx.reporter()));
  TIDE_ASSIGN(auto session, migrate::Session::Open(*settings));
  TIDE_TRY(migrate::ResolveRepeatables(*settings, session.conn(), session.schema(), discovery));
  if (flags.plain) flags.options.mode = migrate::ExecutionMode::kPlain;
  flags.options.target = flags.target.value_or(settings->target);
  flags.options.out_of_order = flags.options.out_of_order || settings->out_of_order;
  auto result = migrate::Migrate(session, *settings, discovery, flags.options, ctx.reporter());
  if (!result.ok()) return result.error();
  nlohmann::json applied = nlohmann::json::array();
  for (const auto& a : result->applied) {
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& s : a.steps) {
      steps.push_back({{"step", s.index}, {"kind", s.kind}, {"sql", s.sql}, {"lock", s.lock},
                       {"milliseconds", s.milliseconds}, {"attempts", s.attempts},
                       {"lock_timeouts", s.lock_timeouts}, {"waited_ms", s.waited_ms},
                       {"rows", s.rows}, {"rows_per_second", s.rows_per_second}});
    }
    applied.push_back({{"version", a.version},
                       {"script", a.script},
                       {"description", a.description},
                       {"milliseconds", a.milliseconds},
                       {"steps", steps}});
  }
  if (flags.options.dry_run) {
    std::string text = result->would_apply.empty() ? "Dry run: nothing to migrate."
                                                   : "Dry run: would apply, in order:";
    for (const auto& label : result->would_apply) text += "\n  " + label;
    ctx.Print(text);
    ctx.PrintJson({{"ok", true}, {"dry_run", true}, {"would_apply", result->would_apply}});
    return Ok();
  }
  if (!result->applied.empty()) {
    ctx.Print(fmt::format("Applied {} migration{}; schema is now at version {}.",
                          result->applied.size(), result->applied.size() == 1 ? "" : "s",
                          result->schema_version));
  }
  ctx.PrintJson({{"ok", true},
                 {"applied", applied},
                 {"schema_version", result->schema_version}});
  return Ok();
}

}  // namespace

void AddMigrateCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("migrate", "apply pending migrations, each statement made safe");
  auto flags = std::make_shared<MigrateFlags>();
  cmd->add_option("--target", flags->target,
                  "stop at this version (or latest, current, next); default: flyway.target, "
                  "else latest")
      ->type_name("V");
  cmd->add_flag("--out-of-order", flags->options.out_of_order,
                "also apply pending migrations older than the newest applied one");
  cmd->add_flag("--dry-run", flags->options.dry_run, "say what would run; change nothing");
  cmd->add_flag("--plain", flags->plain,
                "run each file as written in one transaction, as Flyway does (no safety rewrites)");
  cmd->footer(
      "\nValidates first (a changed, missing or failed migration stops the run), takes the "
      "migration lock\n(a second tide or Flyway waits), then applies each pending file in "
      "version order.\n"
      "\nExamples:\n"
      "  tide migrate\n"
      "  tide migrate --target 1.1          stop after V1.1\n"
      "  tide --json migrate --dry-run");
  cmd->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return RunMigrate(ctx, *flags); }; });
}

}  // namespace tide::cli
