// tide info: every migration with its state, as Flyway's info shows it.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "cli/context.h"
#include "migrate/placeholders.h"
#include "base/strings.h"
#include "exec/state.h"
#include "migrate/audit.h"
#include "migrate/halves.h"
#include "migrate/migrator.h"
#include "migrate/phase.h"
#include "migrate/run_lock.h"
#include "pg/connection.h"

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

// expand or contract, as the scheduler sees the file (judged on its text: a view it re-creates
// counts as a contract here); "mixed" for a contract file that also expands, which runs only
// where no release can break.
std::string PhaseText(const migrate::MigrationFile& file, const migrate::Placeholders& values,
                      const sql::PhaseFacts& facts) {
  if (file.format != migrate::ScriptFormat::kSql) return "declarative";
  migrate::MigrationFile copy = file;
  if (!migrate::ResolveSql(copy, values).ok()) return "?";
  auto phase = migrate::PhaseOf(copy, facts);
  if (!phase.ok()) return phase.error().kind() == ErrorKind::kInput ? "invalid" : "?";
  return phase->mixed ? "mixed" : migrate::ScheduleName(phase->phase);
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
  TIDE_ASSIGN(auto discovery, migrate::DiscoverMigrations(*settings, ctx.reporter()));
  TIDE_ASSIGN(auto session, migrate::Session::Open(*settings));
  TIDE_TRY(migrate::ResolveRepeatables(*settings, session.conn(), session.schema(), discovery));
  std::vector<migrate::AppliedMigration> history;
  TIDE_ASSIGN(auto history_rows, session.history().Load(session.conn()));
  TIDE_ASSIGN(auto target, migrate::ResolveTarget(options.target.value_or(settings->target),
                                                  discovery.migrations, history_rows));
  auto statuses = migrate::ComputeStatus(discovery.migrations, history_rows,
                                         {target, options.out_of_order || settings->out_of_order});
  // Half-applied migrations, from tide's state table: where they stopped.
  std::map<std::string, exec::MigrationState> progress;
  TIDE_ASSIGN(auto states, exec::StateTable(session.schema()).LoadAll(session.conn()));
  for (auto& st : states) {
    if (st.status != "done") progress[st.script] = std::move(st);
  }
  // Declarative migrations between their halves: expanded, contract not done.
  TIDE_ASSIGN(auto halves, migrate::OpenDeclarative(session.conn(), session.schema(), statuses));
  migrate::Placeholders placeholders = migrate::ConfiguredPlaceholders(*settings);
  nlohmann::json rows = nlohmann::json::array();
  sql::PhaseFacts live = migrate::LiveFacts(session.conn());
  std::vector<std::vector<std::string>> table;
  for (const auto& s : statuses) {
    std::string category = s.kind == migrate::MigrationKind::kRepeatable ? "Repeatable"
                                                                          : "Versioned";
    if (s.type == migrate::kTypeSchema || s.type == migrate::kTypeBaseline) category = "";
    nlohmann::json row = {{"category", category},
                          {"version", s.VersionText()},
                          {"description", s.description},
                          {"type", s.type},
                          {"script", s.script},
                          {"state", migrate::StateName(s.state)},
                          {"installed_on", s.applied ? s.applied->installed_on : ""},
                          {"installed_by", s.applied ? s.applied->installed_by : ""},
                          {"execution_time_ms", s.applied ? s.applied->execution_time : 0}};
    if (s.applied) row["installed_rank"] = s.applied->installed_rank;
    std::string phase;
    if (s.file) {
      row["checksum"] = s.file->checksum;
      // A pending file's views are judged on the live catalog, as migrate judges them; an
      // applied file changed the catalog already, so its text alone says what it did.
      phase = PhaseText(*s.file, placeholders, s.applied ? sql::PhaseFacts() : live);
      row["phase"] = phase;
    }
    std::string state = migrate::StateName(s.state);
    if (auto it = progress.find(s.script); it != progress.end() && s.file &&
                                           it->second.checksum == s.file->checksum) {
      const auto& p = it->second;
      const char* how = p.status == "running" ? "Interrupted" : "Failed";
      state = p.next_step >= p.steps
                  ? fmt::format("{} with all {} steps applied (resumable)", how, p.steps)
                  : fmt::format("{} at step {}/{} (resumable)", how, p.next_step + 1, p.steps);
      row["progress"] = {{"status", p.status}, {"next_step", p.next_step + 1},
                         {"steps", p.steps}, {"error", p.error}, {"updated_at", p.updated_at}};
    }
    for (const auto& h : halves) {
      if (h.file != s.file || !h.expand_done) continue;
      state = h.contract_status.empty()
                  ? "Expanded (contract pending)"
                  : fmt::format("Contracting at step {}/{} (resumable)", h.contract_next_step + 1,
                                h.contract_steps);
      row["contract_pending"] = true;
      row["tide_state"] = state;  // "state" stays Flyway's (Success)
    }
    rows.push_back(row);
    std::string on = s.applied ? s.applied->installed_on.substr(0, 19) : "";
    table.push_back({category, s.VersionText(), s.description, phase, on, state,
                     s.applied ? fmt::format("{} ms", s.applied->execution_time) : ""});
  }
  std::string schema_version;
  for (const auto& s : statuses) {
    if (s.version && s.applied && s.applied->success &&
        (s.state == migrate::State::kSuccess || s.state == migrate::State::kBaseline ||
         s.state == migrate::State::kOutOfOrder || s.state == migrate::State::kFuture)) {
      schema_version = s.VersionText();
    }
  }
  ctx.Print(fmt::format("Schema version: {}\nHistory table: {}\n",
                        schema_version.empty() ? "<< Empty Schema >>" : schema_version,
                        session.history().Qualified()));
  if (table.empty()) {
    ctx.Print("No migrations found in " + settings->locations.front().string());
  } else {
    ctx.Print(FormatTable({"Category", "Version", "Description", "Phase", "Installed On", "State",
                           "Time"},
                          table));
  }
  // Who ran what, from where, with which tide: the audit log of phase runs.
  TIDE_ASSIGN(auto runs, migrate::AuditLog(session.schema()).Recent(session.conn(), 5));
  nlohmann::json audit = nlohmann::json::array();
  std::vector<std::vector<std::string>> run_rows;
  // A 'running' entry while no session holds the migration lock is a run that was killed or lost
  // its connection: the next run marks it so; say it now.
  bool lock_held = true;
  if (std::any_of(runs.begin(), runs.end(), [](const auto& r) { return r.outcome == "running"; })) {
    TIDE_ASSIGN(lock_held, migrate::RunLock::Held(session.conn(), session.history().LockKey()));
  }
  for (auto& r : runs) {
    if (r.outcome == "running" && !lock_held) r.outcome = "interrupted";
    audit.push_back({{"id", r.id},
                     {"command", r.command},
                     {"phase", r.phase},
                     {"db_user", r.db_user},
                     {"os_user", r.os_user},
                     {"host", r.host},
                     {"tide_version", r.tide_version},
                     {"started_at", r.started_at},
                     {"finished_at", r.finished_at},
                     {"outcome", r.outcome},
                     {"applied", r.applied},
                     {"gate", r.gate},
                     {"skip_gate_reason", r.skip_gate_reason},
                     {"error", r.error}});
    std::string what = r.applied.empty() ? "-" : Join(r.applied, ", ");
    if (!r.skip_gate_reason.empty()) what += " (gate skipped: " + r.skip_gate_reason + ")";
    run_rows.push_back({r.started_at, r.command, fmt::format("{}@{}", r.os_user, r.host),
                        "tide " + r.tide_version, r.outcome, what});
  }
  if (!run_rows.empty()) {
    ctx.Print("\nRecent runs:\n" +
              FormatTable({"Started", "Command", "By", "Version", "Outcome", "Applied"},
                          run_rows));
  }
  ctx.PrintJson({{"schema_version", schema_version},
                 {"history_table", session.history().Qualified()},
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
