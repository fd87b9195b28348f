// tide search-path: what the new release sets while a declarative migration is between its
// expand and its contract.
#include <fmt/format.h>

#include "cli/context.h"
#include "migrate/halves.h"
#include "migrate/migrator.h"
#include "ops/views.h"

namespace tide::cli {

namespace {

struct SearchPathFlags {
  std::optional<std::string> version;
};

Status RunSearchPath(Context& ctx, const SearchPathFlags& flags) {
  TIDE_ASSIGN(const config::Settings* settings, ctx.Settings());
  TIDE_ASSIGN(auto session, store::Session::Open(*settings));
  std::string version;
  bool open = false;
  if (flags.version) {
    version = *flags.version;
  } else {
    TIDE_ASSIGN(auto discovery, source::DiscoverMigrations(*settings, ctx.reporter()));
    TIDE_ASSIGN(auto statuses, migrate::LoadStatus(session, discovery, {}, nullptr));
    TIDE_ASSIGN(auto halves, migrate::OpenDeclarative(session.conn(), session.schema(), statuses));
    if (!halves.empty()) {
      version = halves.back().file->VersionText();
      open = true;
    }
  }
  const std::string& schema = session.schema();
  std::string path =
      version.empty() ? ops::SearchPathPart(schema) : ops::NewReleaseSearchPath(schema, version);
  ctx.Print(path);
  ctx.PrintJson({{"search_path", path},
                 {"version", version},
                 {"views_schema", version.empty() ? "" : ops::ViewsSchemaName(schema, version)},
                 {"contract_pending", open}});
  return Ok();
}

}  // namespace

void AddSearchPathCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "search-path", "the search_path the new release sets while a declarative migration runs");
  auto flags = std::make_shared<SearchPathFlags>();
  cmd->add_option("--version", flags->version,
                  "for this migration version (default: the newest one not yet contracted)")
      ->type_name("V");
  cmd->footer(
      "\nBetween tide expand and tide contract of a declarative migration V, the new release "
      "sees the new\nshape through views in <schema>_v<V> and sets search_path to that schema, "
      "then the base schema.\nThe same setting keeps working after the contract (the views "
      "schema is gone; the base tables\nhave the new shape). With no declarative migration in "
      "progress it prints the base schema.\n"
      "\nExamples:\n"
      "  tide search-path                              public_v2, public\n"
      "  PGOPTIONS=\"-c search_path=$(tide search-path | tr -d ' ')\" app-v2\n"
      "  jdbc:postgresql://db/app?currentSchema=public_v2,public");
  cmd->callback(
      [&ctx, flags] { ctx.action = [&ctx, flags] { return RunSearchPath(ctx, *flags); }; });
}

}  // namespace tide::cli
