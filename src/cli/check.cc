// tide check --drift: does the database still match its migration history?
#include "drift/check.h"

#include <fmt/format.h>

#include <cstdio>

#include "base/json_text.h"
#include "cli/app.h"
#include "cli/context.h"
#include "cli/drift_cli.h"
#include "config/drift_settings.h"

namespace tide::cli {

namespace {

struct CheckFlags {
  bool drift = false;
  std::string format = "text";
  std::shared_ptr<DriftFlags> drift_flags = std::make_shared<DriftFlags>();
};

void Write(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

Status RunCheck(Context& ctx, const CheckFlags& flags) {
  if (!flags.drift) {
    return Error::Usage("tide check needs what to check").WithHint("tide check --drift");
  }
  std::string format = ctx.json ? "json" : flags.format;
  // Progress lines go to stderr when stdout carries a document.
  if (format != "text") ctx.json = true;
  auto checked = CheckDrift(ctx, *flags.drift_flags);
  if (!checked.ok()) {
    // Exit 2 for every error, as lint: 1 means "drift found", and only that.
    PrintError(checked.error(), ctx.json);
    ctx.exit_code = 2;
    return Ok();
  }
  const drift::DriftReport& report = *checked;
  if (format == "json") {
    Write(DumpJson(drift::JsonReport(report), 2) + "\n");
  } else if (format == "sarif") {
    Write(DumpJson(drift::SarifReport(report), 2) + "\n");
  } else {
    Write(drift::TextReport(report));
  }
  ctx.reporter().Info(
      fmt::format("Replay {:.1f} s; catalogs read and compared in {:.2f} s "
                  "({} objects in the history, {} in the database).",
                  report.replay_seconds, report.compare_seconds, report.history_objects,
                  report.database_objects));
  ctx.exit_code = report.findings.empty() ? 0 : 1;
  return Ok();
}

const char* kCheckFooter =
    "\nDrift: is the database still what its migration history builds? A hotfix index made by\n"
    "hand during an incident, a column dropped from a console, a constraint left NOT VALID by\n"
    "an interrupted run, an upgraded extension: the next migration fails on them, or runs on a\n"
    "schema nobody reviewed.\n"
    "\nHow: tide replays the applied migrations (exactly those flyway_schema_history records as\n"
    "successful, through tide's own migrate path; a declarative migration between its expand\n"
    "and contract is replayed that far) on a scratch database, then compares both schemas\n"
    "object by object from the catalogs: schemas, tables, columns (type, nullability, default,\n"
    "identity, generated, collation, order), constraints (definition, NOT VALID), indexes\n"
    "(definition, INVALID), views and materialized views, functions and procedures, triggers,\n"
    "sequences, enums (labels in order), domains, extensions (version); owners and grants with\n"
    "--privileges. The target is only read: one query per kind of object, in one read-only\n"
    "transaction; no table is scanned. Locks: the catalogs' ACCESS SHARE, and the same on the\n"
    "tables a view reads while the server prints its definition (only ACCESS EXCLUSIVE\n"
    "conflicts; tide gives up after 5 s rather than queue).\n"
    "\nThe scratch database: by default on a throwaway local PostgreSQL (postgresql-15's initdb,\n"
    "as tide sandbox), removed afterwards; --scratch-url names a server where tide may create a\n"
    "database (tide_drift_*) and drops it when done. A migration that needs roles the scratch\n"
    "server lacks fails the replay: create them there, or use a server that has them.\n"
    "\nNot compared: the history table, tide's own tide_* tables, tide's transient NOT NULL\n"
    "check (tide_nn_*), aggregates, autovacuum storage parameters, objects that belong to an\n"
    "extension, and what --ignore or [drift] ignore in tide.toml names (globs on schema.object\n"
    "or schema.table.part; a table's pattern covers its columns, indexes, constraints and\n"
    "triggers). The views schema of a declarative migration between its halves\n"
    "(<schema>_v<version>) is compared: the replay builds it too, and one left behind after\n"
    "the contract is drift.\n"
    "\nEach finding: the object, missing (the history builds it, the database lacks it), extra\n"
    "(the database has it, no migration built it) or changed (each fact that differs, history\n"
    "and database side by side), and two statements: one that makes the database match the\n"
    "history (DROP INDEX CONCURRENTLY for a hotfix index), one to add to a migration that\n"
    "adopts the change instead (its CREATE INDEX CONCURRENTLY).\n"
    "\nExit codes: 0 no drift, 1 drift found, 2 an error (unreachable database, a file changed\n"
    "or missing since it was applied, a replay that fails): tide cannot tell.\n"
    "\nExamples:\n"
    "  tide check --drift                                  throwaway local PostgreSQL\n"
    "  tide check --drift --scratch-url postgresql://ci@scratch-db/postgres\n"
    "  tide check --drift --ignore 'public.legacy_*' --ignore 'audit.*'\n"
    "  tide check --drift --format sarif > drift.sarif     for code-scanning upload\n"
    "  tide migrate --check-drift                          refuse to migrate a drifted database";

}  // namespace

void AddDriftFlags(CLI::App* cmd, const std::shared_ptr<DriftFlags>& flags) {
  cmd->add_option("--scratch-url", flags->scratch_url,
                  "a server where tide may create and drop a scratch database for the replay "
                  "(default: a throwaway local PostgreSQL)")
      ->type_name("URL");
  cmd->add_option("--ignore", flags->ignore,
                  "leave out objects whose qualified name matches (a glob: 'public.legacy_*'; "
                  "repeatable; also [drift] ignore in tide.toml)")
      ->type_name("PATTERN");
  cmd->add_flag("--privileges", flags->privileges, "also compare owners and grants");
}

Result<drift::DriftReport> CheckDrift(Context& ctx, const DriftFlags& flags) {
  TIDE_ASSIGN(const config::Settings* settings, ctx.Settings());
  drift::CheckOptions options;
  options.scratch_url = flags.scratch_url;
  options.privileges = flags.privileges;
  options.ignore = flags.ignore;
  TIDE_ASSIGN(auto configured, config::DriftIgnore(*settings));
  for (const auto& pattern : configured) options.ignore.push_back(pattern);
  return drift::CheckDrift(*settings, options, ctx.reporter());
}

void AddCheckCommand(CLI::App& app, Context& ctx) {
  auto* cmd =
      app.add_subcommand("check", "does the database still match its migration history? (--drift)");
  auto flags = std::make_shared<CheckFlags>();
  cmd->add_flag("--drift", flags->drift,
                "replay the applied history on a scratch database and compare the schemas");
  cmd->add_option("--format", flags->format, "text (default), json or sarif")
      ->check(CLI::IsMember({"text", "json", "sarif"}));
  AddDriftFlags(cmd, flags->drift_flags);
  cmd->footer(kCheckFooter);
  cmd->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return RunCheck(ctx, *flags); }; });
}

}  // namespace tide::cli
