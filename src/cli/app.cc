#include "cli/app.h"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <pg_query.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "base/json_text.h"
#include "base/strings.h"
#include "base/text.h"
#include "cli/context.h"
#include "cli/drift_cli.h"
#include "tide_version.h"

namespace tide::cli {

namespace {

const char* kDescription =
    "tide: zero-downtime schema migrations for PostgreSQL.\n"
    "Runs Flyway-style V<version>__<description>.sql files unchanged, and runs each statement so "
    "the application never waits behind a lock: short lock timeouts with retry, batched "
    "backfills, concurrent index builds, NOT VALID constraints.";

const char* kFooter =
    "\nExamples:\n"
    "  tide init                                  start a project here\n"
    "  tide sandbox start                         a throwaway local PostgreSQL\n"
    "  export TIDE_URL=\"$(tide sandbox url)\"\n"
    "  tide info                                  what is applied, what is pending\n"
    "  tide migrate --dry-run                     what would run\n"
    "  tide migrate                               apply pending migrations safely\n"
    "\nSettings, highest precedence first: flags > -Dflyway.x=y > TIDE_* > FLYWAY_* > tide.toml >\n"
    "flyway.toml > flyway.conf. A Flyway project runs as it is: flyway.conf (jdbc: URL, user,\n"
    "password, schemas, table, locations, target, outOfOrder, placeholders...), flyway.toml\n"
    "environments, FLYWAY_* variables, SQL callbacks (afterMigrate.sql...) and V1__x.sql.conf.\n"
    "'tide info --sources' shows each setting and where it came from.\n"
    "Exit codes: 0 ok, 1 a check or migration failed, 2 bad usage or input, 3 a gate refused.\n"
    "Run 'tide COMMAND --help' for a command's own flags and examples.";

// What a bug report needs: tide's version and the versions of the two libraries that decide
// how it talks to the server and reads SQL.
std::string VersionText() {
  int libpq = PQlibVersion();
  return fmt::format("tide {}\nlibpq {}.{}\nlibpg_query {} (PostgreSQL {} grammar)",
                     TIDE_VERSION, libpq / 10000, libpq % 10000, TIDE_PG_QUERY_VERSION,
                     PG_VERSION);
}

}  // namespace

void PrintError(const Error& error, bool json) {
  // Messages quote statements and file names: their control bytes must not reach the terminal.
  std::fprintf(stderr, "error: %s\n", EscapeForTerminal(error.ToString()).c_str());
  if (json) {
    nlohmann::json doc = {{"ok", false},
                          {"error",
                           {{"kind", error.KindName()},
                            {"message", error.message()},
                            {"hint", error.hint()},
                            {"sqlstate", error.sqlstate()}}}};
    if (error.location()) {
      doc["error"]["file"] = error.location()->file;
      doc["error"]["line"] = error.location()->line;
      doc["error"]["column"] = error.location()->column;
    }
    std::printf("%s\n", DumpJson(doc, 2).c_str());
  }
}

namespace {

// The command line for each target of a fleet: without the fleet's own options and --json (and
// without --url when --schemas runs on the one database it names: each unit gets its own).
std::vector<std::string> FleetArgs(int argc, char** argv, bool drop_url) {
  std::vector<std::string> with_value = {"--targets", "--parallel", "--targets-query",
                                         "--catalog-url", "--schemas", "--canary"};
  if (drop_url) with_value.push_back("--url");
  std::vector<std::string> out;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    bool skip = i > 0 && (a == "--json" || a == "--fail-fast");
    for (const auto& option : with_value) {
      if (i > 0 && a == option) {
        ++i;
        skip = true;
      } else if (a.rfind(option + "=", 0) == 0) {
        skip = true;
      }
    }
    if (!skip) out.push_back(a);
  }
  return out;
}

// An exception that escapes tide's Result handling is a bug in tide: say so, in the error format
// of every other failure, and exit 1 instead of aborting (134) with the library's message.
Error InternalError(const char* what) {
  return Error::Internal(fmt::format("unexpected failure: {}", what))
      .WithHint(
          "this is a bug in tide; please report it with the command and 'tide --version'. "
          "What already ran is in the history table: 'tide info' shows it");
}

// Exceptions in other threads (rehearsal traffic, progress) cannot reach Main's catch: the
// runtime calls std::terminate. Report those the same way and exit with the same code.
[[noreturn]] void OnTerminate() {
  const char* what = "an exception outside the main thread";
  try {
    if (auto e = std::current_exception()) std::rethrow_exception(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", InternalError(e.what()).ToString().c_str());
    std::_Exit(1);
  } catch (...) {
  }
  std::fprintf(stderr, "error: %s\n", InternalError(what).ToString().c_str());
  std::_Exit(1);
}

// Long by design: the global flags and their help text, in the order --help shows them.
int Run(Context& ctx, int argc, char** argv) {
  CLI::App app(kDescription, "tide");
  app.footer(kFooter);
  app.require_subcommand(1);
  app.fallthrough();
  app.set_version_flag("--version", VersionText());
  app.add_option("--url", ctx.flags.url,
                 "database: a libpq URI (postgresql://user@host:5432/db) or key=value string")
      ->envname("")
      ->type_name("URL");
  app.add_option("--direct-url", ctx.direct_url,
                 "the server itself, when --url goes through a connection pooler: tide then "
                 "works over this URL only (also TIDE_DIRECT_URL)")
      ->type_name("URL");
  app.add_option("--config", ctx.flags.config_file, "settings file (default: ./tide.toml)")
      ->type_name("FILE");
  app.add_option("--locations", ctx.flags.locations,
                 "migration folders, comma-separated (default: migrations)")
      ->type_name("DIR");
  app.add_option("--schema", ctx.flags.schema,
                 "schema of the history table; also the search_path migrations run with")
      ->type_name("NAME");
  app.add_option("--table", ctx.flags.history_table,
                 "history table name (default: flyway_schema_history)")
      ->type_name("NAME");
  app.add_option("--lock-timeout", ctx.flags.lock_timeout,
                 "longest wait for a table lock per attempt (default 500ms)")
      ->type_name("DURATION");
  app.add_option("--lock-wait", ctx.flags.lock_wait,
                 "how long to keep retrying one step before failing (default 5m)")
      ->type_name("DURATION");
  app.add_option("-D", ctx.flags.defines,
                 "a Flyway setting, as Maven takes it: -Dflyway.target=1.1 (repeatable)")
      ->type_name("flyway.NAME=VALUE")
      ->allow_extra_args(false);
  app.add_option("--environment", ctx.flags.environment,
                 "the flyway.toml environment to use ([environments.NAME]; default: default)")
      ->type_name("NAME");
  app.add_flag("--json", ctx.json, "print one JSON document on stdout (for CI)");
  app.add_option("--targets", ctx.targets_file,
                 "run migrate, expand, contract, info or verify on every database URL in FILE "
                 "(one per line; targets done by an earlier run are skipped, see FILE.done)")
      ->type_name("FILE");
  app.add_option("--targets-query", ctx.targets_query,
                 "like --targets, the URLs being the first column of this SQL's rows, run "
                 "read-only on --catalog-url (the done file: ./tide-fleet.done)")
      ->type_name("SQL");
  app.add_option("--catalog-url", ctx.catalog_url, "the database --targets-query runs on")
      ->type_name("URL");
  app.add_option("--schemas", ctx.schemas,
                 "run the command once per schema matching GLOB (* and ?) on each target, or on "
                 "--url: its own history table, search_path and ${flyway:defaultSchema}")
      ->type_name("GLOB");
  app.add_option("--parallel", ctx.parallel,
                 "with --targets or --schemas: at most N at once (default: the number of cores)")
      ->type_name("N")
      ->check(CLI::PositiveNumber);
  app.add_option("--canary", ctx.canary,
                 "with --targets or --schemas: run N of them first; stop there if any fails")
      ->type_name("N")
      ->check(CLI::PositiveNumber);
  app.add_flag("--fail-fast", ctx.fail_fast,
               "with --targets or --schemas: start no other target once one failed (default: "
               "go on with the rest)");
  app.add_flag("-q,--quiet", ctx.quiet, "print only warnings and errors");

  AddInitCommand(app, ctx);
  AddInfoCommand(app, ctx);
  AddValidateCommand(app, ctx);
  AddPlanCommand(app, ctx);
  AddLintCommand(app, ctx);
  AddCheckCommand(app, ctx);
  AddMigrateCommand(app, ctx);
  AddExpandCommand(app, ctx);
  AddContractCommand(app, ctx);
  AddVerifyCommand(app, ctx);
  AddRollbackCommand(app, ctx);
  AddSearchPathCommand(app, ctx);
  AddCiCommand(app, ctx);
  AddBaselineCommand(app, ctx);
  AddRepairCommand(app, ctx);
  AddSandboxCommand(app, ctx);
  AddRehearseCommand(app, ctx);
  AddDemoCommand(app, ctx);
  AddGenerateCommand(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  if (!ctx.action) return 0;
  Status status = Ok();
  if (ctx.Fleet()) {
    bool drop_url = ctx.targets_file.empty() && ctx.targets_query.empty();
    status = RunFleet(ctx, FleetArgs(argc, argv, drop_url),
                      app.get_subcommands().front()->get_name());
  } else if (ctx.parallel > 0 || ctx.canary > 0 || ctx.fail_fast || !ctx.catalog_url.empty()) {
    status = Error::Usage(
        "--parallel, --canary, --fail-fast and --catalog-url go with --targets FILE, "
        "--targets-query SQL or --schemas GLOB");
  } else {
    status = ctx.action();
  }
  if (!status.ok()) {
    PrintError(status.error(), ctx.json);
    return status.error().ExitCode();
  }
  return ctx.exit_code;
}

}  // namespace

int Main(int argc, char** argv) {
  std::set_terminate(OnTerminate);
  Context ctx;
  try {
    return Run(ctx, argc, argv);
  } catch (const std::exception& e) {
    Error error = InternalError(e.what());
    PrintError(error, ctx.json);
    return error.ExitCode();
  } catch (...) {
    Error error = InternalError("an exception of unknown type");
    PrintError(error, ctx.json);
    return error.ExitCode();
  }
}

}  // namespace tide::cli
