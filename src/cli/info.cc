// tide info: every migration with its state, as Flyway's info shows it.
#include <fmt/format.h>


#include "base/strings.h"
#include "cli/context.h"
#include "migrate/info.h"
#include "pg/connection.h"
#include "store/audit.h"

namespace tide::cli {

namespace {

struct InfoOptions {
  bool out_of_order = false;
  std::optional<std::string> target;  // unset: flyway.target, else latest
  bool sources = false;
};

// A placeholder may carry a secret (Flyway projects pass passwords that way): mask those.
bool LooksSecret(const std::string& name) {
  std::string n = ToLower(name);
  for (const char* word : {"password", "passwd", "secret", "token", "key", "credential"}) {
    if (n.find(word) != std::string::npos) return true;
  }
  return false;
}

// tide info --sources: every setting, its value and where it came from; no database needed.
Status RunSources(Context& ctx) {
  TIDE_ASSIGN(const config::Settings* s, ctx.Settings());
  std::vector<std::string> locations;
  for (const auto& l : s->locations) locations.push_back(l.string());
  std::vector<std::pair<std::string, std::string>> values = {
      {"url", s->url.empty() ? "" : pg::RedactConninfo(s->url)},
      {"locations", Join(locations, ", ")},
      {"schema", s->schema.empty() ? "(the connection's current schema)" : s->schema},
      {"history_table", s->history_table},
      {"lock_timeout", FormatDuration(s->lock_timeout)},
      {"lock_wait", FormatDuration(s->lock_wait)},
      {"target", s->target},
      {"out_of_order", s->out_of_order ? "true" : "false"},
      {"installed_by", s->installed_by.empty() ? "(current_user)" : s->installed_by},
      {"baseline_version", s->baseline_version},
      {"placeholder_replacement", s->placeholders.enabled ? "true" : "false"},
      {"placeholder_prefix", s->placeholders.prefix},
      {"placeholder_suffix", s->placeholders.suffix},
      {"sql_callbacks", s->sql_callbacks ? "true" : "false"},
  };
  for (const auto& [name, value] : s->placeholders.values) {
    values.push_back({"placeholders." + name, LooksSecret(name) ? "***" : value});
  }
  std::vector<std::vector<std::string>> table;
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& [name, value] : values) {
    auto it = s->sources.find(name);
    std::string source = it == s->sources.end() ? "default" : it->second;
    table.push_back({name, value, source});
    rows.push_back({{"name", name}, {"value", value}, {"source", source}});
  }
  std::vector<std::string> files;
  if (!s->config_file.empty()) files.push_back(s->config_file.string());
  for (const auto& f : s->flyway_files) files.push_back(f.string());
  ctx.Print(fmt::format("Settings files read: {}\n", files.empty() ? "none" : Join(files, ", ")) +
            FormatTable({"Setting", "Value", "Source"}, table));
  ctx.PrintJson({{"files", files}, {"settings", rows}, {"warnings", s->warnings}});
  return Ok();
}

Status RunInfo(Context& ctx, const InfoOptions& options) {
  if (options.sources) return RunSources(ctx);
  TIDE_ASSIGN(const config::Settings* settings, ctx.Settings());
  TIDE_ASSIGN(auto discovery, source::DiscoverMigrations(*settings, ctx.reporter()));
  TIDE_ASSIGN(auto session, store::Session::Open(*settings));
  TIDE_ASSIGN(migrate::InfoReport info,
              migrate::BuildInfo(session, *settings, discovery,
                                 options.target.value_or(settings->target),
                                 options.out_of_order || settings->out_of_order));
  ctx.Print(fmt::format("Schema version: {}\nHistory table: {}\n",
                        info.schema_version.empty() ? "<< Empty Schema >>" : info.schema_version,
                        info.history_table));
  std::vector<std::vector<std::string>> table;
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& m : info.migrations) {
    table.push_back(m.cells);
    rows.push_back(m.json);
  }
  if (table.empty()) {
    ctx.Print("No migrations found in " + settings->locations.front().string());
  } else {
    ctx.Print(FormatTable({"Category", "Version", "Description", "Phase", "Installed On", "State",
                           "Time"},
                          table));
  }
  nlohmann::json audit = nlohmann::json::array();
  std::vector<std::vector<std::string>> run_rows;
  for (const auto& r : info.runs) {
    audit.push_back({{"id", r.id},
                     {"command", r.command},
                     {"phase", r.phase},
                     {"db_user", r.db_user},
                     {"os_user", r.os_user},
                     {"host", r.host},
                     {"tide_version", r.tide_version},
                     {"started_at", r.started_at},
                     {"finished_at", r.finished_at},
                     {"outcome", store::RunOutcomeName(r.outcome)},
                     {"applied", r.applied},
                     {"gate", r.gate},
                     {"skip_gate_reason", r.skip_gate_reason},
                     {"error", r.error}});
    std::string what = r.applied.empty() ? "-" : Join(r.applied, ", ");
    if (!r.skip_gate_reason.empty()) what += " (gate skipped: " + r.skip_gate_reason + ")";
    run_rows.push_back({r.started_at, r.command, fmt::format("{}@{}", r.os_user, r.host),
                        "tide " + r.tide_version, store::RunOutcomeName(r.outcome), what});
  }
  if (!run_rows.empty()) {
    ctx.Print("\nRecent runs:\n" +
              FormatTable({"Started", "Command", "By", "Version", "Outcome", "Applied"},
                          run_rows));
  }
  ctx.PrintJson({{"schema_version", info.schema_version},
                 {"history_table", info.history_table},
                 {"migrations", rows},
                 {"runs", audit}});
  return Ok();
}

}  // namespace

void AddInfoCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "info", "every migration: version, description, state, installed on, time");
  auto options = std::make_shared<InfoOptions>();
  cmd->add_option("--target", options->target, "show migrations above this version as such");
  cmd->add_flag("--out-of-order", options->out_of_order,
                "count old pending migrations as pending, not ignored");
  cmd->add_flag("--sources", options->sources,
                "show every setting, its value and where it came from (flag, environment, "
                "tide.toml, flyway.conf, flyway.toml, -D); needs no database");
  cmd->footer(
      "\nStates: Pending, Success, Failed, Missing (applied, file gone), Future (applied, newer "
      "than any file),\nOut of Order, Ignored (pending but older than the newest applied), "
      "Baseline, Below Baseline,\nAbove Target, Outdated (repeatable changed), Superseded, "
      "Deleted;\nExpanded (contract pending): a declarative migration between tide expand and tide "
      "contract.\n"
      "\nExamples:\n"
      "  tide info\n"
      "  tide info --sources                 which file each setting came from\n"
      "  tide --json info | jq '.migrations[] | select(.state == \"Pending\")'");
  cmd->callback([&ctx, options] { ctx.action = [&ctx, options] { return RunInfo(ctx, *options); }; });
}

}  // namespace tide::cli
