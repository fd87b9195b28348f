// tide migrate, tide expand, tide contract: apply pending migrations, all or by phase.
#include <fmt/format.h>

#include <cstdio>

#include "base/strings.h"
#include "cli/context.h"
#include "cli/drift_cli.h"
#include "migrate/migrator.h"
#include "migrate/placeholders.h"

namespace tide::cli {

namespace {

struct MigrateFlags {
  migrate::MigrateOptions options;
  std::optional<std::string> target;  // unset: flyway.target, else latest
  bool plain = false;
  std::string phase = "all";
  // Gate flags; unset ones fall back to [gate] in tide.toml.
  std::optional<std::string> app, version, check_command, min_expand_age, max_throttle_wait;
  std::vector<std::string> max_replica_lag;
  std::vector<std::string> standbys, pooler_admins;
  std::string skip_standbys, skip_pooler_clients;
  bool check_drift = false;
  std::shared_ptr<DriftFlags> drift = std::make_shared<DriftFlags>();
};

// --check-drift: a database that no longer matches its history is not migrated.
Status CheckDriftFirst(Context& ctx, const MigrateFlags& flags) {
  ctx.reporter().Info("Checking that the database matches its migration history ...");
  TIDE_ASSIGN(drift::DriftReport report, CheckDrift(ctx, *flags.drift));
  for (const auto& w : report.warnings) ctx.reporter().Warn(w);
  if (report.findings.empty()) {
    ctx.reporter().Info(fmt::format("No drift ({} objects compared).", report.database_objects));
    return Ok();
  }
  report.warnings.clear();
  std::string text = drift::TextReport(report);
  std::fwrite(text.data(), 1, text.size(), stderr);
  size_t n = report.findings.size();
  return Error::Failed(fmt::format("the database has drifted from its migration history ({} "
                                   "difference{}): nothing was applied",
                                   n, n == 1 ? "" : "s"))
      .WithHint("reconcile it with the statements above, or adopt the changes in a migration, "
                "or leave objects out with --ignore or [drift] ignore; tide check --drift "
                "--json lists the findings");
}

// The gate from flags over [gate] settings.
Result<gate::GateOptions> GateFrom(const MigrateFlags& flags, const config::Settings& settings) {
  gate::GateOptions g;
  g.app = flags.app.value_or(settings.gate.app);
  g.version = flags.version.value_or(settings.gate.version);
  g.check_command = flags.check_command.value_or(settings.gate.check_command);
  g.standby_urls = flags.standbys.empty() ? settings.gate.standby_urls : flags.standbys;
  g.skip_standbys_reason = flags.skip_standbys;
  g.pooler_admin_urls =
      flags.pooler_admins.empty() ? settings.gate.pooler_admin_urls : flags.pooler_admins;
  g.skip_pooler_clients_reason = flags.skip_pooler_clients;
  g.behind_pooler = ViaDirectUrl(settings);
  if (!g.app.empty() && g.version.empty()) {
    return Error::Usage("--app needs --version: the release every instance must run");
  }
  return g;
}

// --max-replica-lag (repeatable: a duration, a size, or one of each) and --max-throttle-wait
// over [backfill].
Status ThrottleFrom(const MigrateFlags& flags, config::BackfillSettings& b) {
  if (!flags.max_replica_lag.empty()) {
    b.max_replica_lag_bytes.reset();
    b.max_replica_lag_time.reset();
  }
  for (const auto& text : flags.max_replica_lag) {
    Status set = config::SetReplicaLagLimit(text, b);
    if (!set.ok()) {
      return Error::Usage("--max-replica-lag: " + set.error().message())
          .WithHint(set.error().hint());
    }
  }
  if (flags.max_throttle_wait) {
    auto d = ParseDuration(*flags.max_throttle_wait);
    if (!d.ok()) return Error::Usage("--max-throttle-wait: " + d.error().message());
    b.max_throttle_wait = *d;
  }
  return Ok();
}

// A backfill step's throttle in --json: pauses for standby lag, how long, the worst lag seen.
nlohmann::json ThrottleJson(const exec::StepReport& s) {
  return {{"pauses", s.yielded.pauses},
          {"paused_ms", s.yielded.throttled.count()},
          {"worst_replica_lag_ms", s.yielded.worst_lag_ms},
          {"worst_replica_lag_bytes", s.yielded.worst_lag_bytes}};
}

Status RunMigrate(Context& ctx, MigrateFlags flags) {
  TIDE_ASSIGN(const config::Settings* settings, ctx.Settings());
  if (flags.check_drift) TIDE_TRY(CheckDriftFirst(ctx, flags));
  TIDE_ASSIGN(auto discovery, source::DiscoverMigrations(*settings, ctx.reporter()));
  TIDE_ASSIGN(auto session, store::Session::Open(*settings));
  TIDE_TRY(migrate::ResolveRepeatables(*settings, session.conn(), session.schema(), discovery));
  if (flags.plain) flags.options.mode = migrate::ExecutionMode::kPlain;
  if (flags.phase == "expand") {
    flags.options.phase = migrate::PhaseFilter::kExpand;
  } else if (flags.phase == "contract") {
    flags.options.phase = migrate::PhaseFilter::kContract;
  } else if (flags.phase != "all") {
    return Error::Usage(fmt::format("--phase {}: expected expand, contract or all", flags.phase));
  }
  TIDE_ASSIGN(flags.options.gate, GateFrom(flags, *settings));
  flags.options.min_expand_age = settings->gate.min_expand_age;
  if (flags.min_expand_age) {
    auto age = ParseDuration(*flags.min_expand_age);
    if (!age.ok()) return Error::Usage("--min-expand-age: " + age.error().message());
    flags.options.min_expand_age = *age;
  }
  flags.options.target = flags.target.value_or(settings->target);
  flags.options.out_of_order = flags.options.out_of_order || settings->out_of_order;
  config::Settings run_settings = *settings;
  TIDE_TRY(ThrottleFrom(flags, run_settings.backfill));
  auto result =
      migrate::Migrate(session, run_settings, discovery, flags.options, ctx.reporter());
  if (!result.ok()) return result.error();
  nlohmann::json applied = nlohmann::json::array();
  for (const auto& a : result->applied) {
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& s : a.steps) {
      steps.push_back({{"step", s.index}, {"kind", s.kind}, {"sql", s.sql}, {"lock", s.lock},
                       {"milliseconds", s.milliseconds}, {"attempts", s.attempts},
                       {"lock_timeouts", s.lock_timeouts}, {"waited_ms", s.waited_ms},
                       {"rows", s.rows}, {"rows_per_second", s.rows_per_second}});
      if (s.kind == "backfill") {
        steps.back()["throttle"] = ThrottleJson(s);
        steps.back()["waits"] = {{"batches_shrunk", s.yielded.batches_shrunk},
                                 {"sessions", s.yielded.waiters},
                                 {"longest_wait_ms", s.yielded.longest_wait_ms}};
      }
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
                 {"phase", flags.phase},
                 {"applied", applied},
                 {"schema_version", result->schema_version},
                 {"stopped_before", result->stopped_before},
                 {"gate", result->gate},
                 {"mixed_files", result->mixed_files},
                 {"mixed_files_why", result->mixed_why}});
  return Ok();
}

void AddCommonFlags(CLI::App* cmd, const std::shared_ptr<MigrateFlags>& flags) {
  cmd->add_option("--target", flags->target,
                  "stop at this version (or latest, current, next); default: flyway.target, "
                  "else latest")
      ->type_name("V");
  cmd->add_flag("--out-of-order", flags->options.out_of_order,
                "also apply pending migrations older than the newest applied one");
  cmd->add_flag("--dry-run", flags->options.dry_run, "say what would run; change nothing");
  cmd->add_flag("--plain", flags->plain,
                "run each file as written in one transaction, as Flyway does (no safety rewrites)");
  cmd->add_option("--max-replica-lag", flags->max_replica_lag,
                  "pause batched backfills while a standby replays this far behind, in time "
                  "(2s, 500ms) or WAL (64MB; repeat the flag for both), or stopped streaming")
      ->type_name("LAG");
  cmd->add_option("--max-throttle-wait", flags->max_throttle_wait,
                  "stop the run, resumable, when one such pause lasts longer (default 30min)")
      ->type_name("DURATION");
  cmd->add_flag("--check-drift", flags->check_drift,
                "first check that the database matches its applied history (tide check "
                "--drift); stop before applying anything when it does not");
  AddDriftFlags(cmd, flags->drift);
}

void AddGateFlags(CLI::App* cmd, const std::shared_ptr<MigrateFlags>& flags) {
  cmd->add_option("--app", flags->app,
                  "the application whose sessions the gate checks (application_name NAME/VERSION)")
      ->type_name("NAME");
  cmd->add_option("--version", flags->version,
                  "the release every instance must run before the contract")
      ->type_name("V");
  cmd->add_option("--standby", flags->standbys, "also check this standby (repeatable)")
      ->type_name("URL");
  cmd->add_option("--check-command", flags->check_command,
                  "a command that exits 0 when every replica runs the new release")
      ->type_name("CMD");
  cmd->add_option("--pooler-admin-url", flags->pooler_admins,
                  "a PgBouncer admin console whose clients the gate also checks, idle ones too "
                  "(repeatable; [gate] pooler_admin_urls)")
      ->type_name("URL");
  cmd->add_option("--skip-pooler-clients", flags->skip_pooler_clients,
                  "with --direct-url and no admin console: the gate may pass without seeing "
                  "clients idle in the pooler (the reason is recorded)")
      ->type_name("REASON");
  cmd->add_option("--skip-standbys", flags->skip_standbys,
                  "the gate may pass although standbys stream that it did not check (the reason "
                  "is recorded)")
      ->type_name("REASON");
  cmd->add_option("--skip-gate", flags->options.skip_gate_reason,
                  "emergencies only: run the contract without the gate (the reason is recorded)")
      ->type_name("REASON");
  cmd->add_option("--min-expand-age", flags->min_expand_age,
                  "refuse when the expand before the contract is younger than this")
      ->type_name("DURATION");
}

}  // namespace

void AddMigrateCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("migrate", "apply pending migrations, each statement made safe");
  auto flags = std::make_shared<MigrateFlags>();
  AddCommonFlags(cmd, flags);
  cmd->add_option("--phase", flags->phase, "expand, contract or all (default)")
      ->type_name("PHASE");
  AddGateFlags(cmd, flags);
  cmd->footer(
      "\nValidates first (a changed, missing or failed migration stops the run), takes the "
      "migration lock\n(a second tide or Flyway waits), then applies each pending file in "
      "version order. A contract\nmigration right after its expand in the same run is refused "
      "while other sessions are connected\n(exit 3): deploy with tide expand and tide contract. "
      "A file that both expands and contracts\nruns as written only when no other session is "
      "connected and the tables it contracts are small\n(small_table_rows); otherwise it is "
      "refused (exit 3). On a fresh database it all runs in one go.\n"
      "\nExamples:\n"
      "  tide migrate\n"
      "  tide migrate --target 1.1          stop after V1.1\n"
      "  tide migrate --phase expand        same as tide expand\n"
      "  tide migrate --check-drift         refuse when the database drifted from its history\n"
      "  tide migrate --max-replica-lag 2s --max-throttle-wait 10min\n"
      "                                     backfills pause while a standby replays more than 2 s\n"
      "                                     behind (or stopped streaming); stop after a 10 min pause\n"
      "  tide --json migrate --dry-run");
  cmd->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return RunMigrate(ctx, *flags); }; });
}

void AddExpandCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "expand", "apply pending expand migrations; stop before the first contract migration");
  auto flags = std::make_shared<MigrateFlags>();
  flags->phase = "expand";
  flags->options.command = "expand";
  AddCommonFlags(cmd, flags);
  cmd->footer(
      "\nExpand migrations add what the new release needs and keep the old release working "
      "(new tables,\ncolumns, backfills, indexes). Run it before rolling out the new release.\n"
      "\nExamples:\n"
      "  tide expand\n"
      "  tide --json expand --dry-run");
  cmd->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return RunMigrate(ctx, *flags); }; });
}

void AddContractCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "contract", "apply pending contract migrations, only when the replica gate passes");
  auto flags = std::make_shared<MigrateFlags>();
  flags->phase = "contract";
  flags->options.command = "contract";
  AddCommonFlags(cmd, flags);
  AddGateFlags(cmd, flags);
  cmd->footer(
      "\nContract migrations drop, rename or tighten what the old release used. The gate runs "
      "first: it\nrefuses (exit 3) while a session named APP/VERSION older than --version is "
      "connected to the primary\nor a standby, or when --check-command fails. It also refuses "
      "while "
      "a standby or logical\nsubscriber streams (pg_stat_replication) that it did not check: name "
      "each with --standby,\nor waive with --skip-standbys \"reason\" (recorded). Settings: "
      "[gate] app, version,\nstandby_urls, check_command, min_expand_age in tide.toml.\n"
      "\nExamples:\n"
      "  tide contract --app customer-api --version 2.0\n"
      "  tide contract --check-command scripts/verify-all-replicas.sh\n"
      "  tide contract --skip-gate \"incident 4711: old pods are gone, k8s API down\"");
  cmd->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return RunMigrate(ctx, *flags); }; });
}

}  // namespace tide::cli
