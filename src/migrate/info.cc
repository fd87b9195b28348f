#include "migrate/info.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "migrate/halves.h"
#include "migrate/phase.h"
#include "migrate/placeholders.h"
#include "migrate/run_lock.h"
#include "migrate/schedule.h"
#include "migrate/status.h"
#include "store/state.h"

namespace tide::migrate {

namespace {

// expand or contract, as the scheduler sees the file (judged on its text: a view it re-creates
// counts as a contract here); "mixed" for a contract file that also expands, which runs only
// where no release can break.
std::string PhaseText(const source::MigrationFile& file, const Placeholders& values,
                      const sql::PhaseFacts& facts) {
  if (file.format != source::ScriptFormat::kSql) return "declarative";
  source::MigrationFile copy = file;
  if (!ResolveSql(copy, values).ok()) return "?";
  auto phase = PhaseOf(copy, facts);
  if (!phase.ok()) return phase.error().kind() == ErrorKind::kInput ? "invalid" : "?";
  return phase->mixed ? "mixed" : ScheduleName(phase->phase);
}

// The state column: Flyway's, or where tide's own run of the file stands.
std::string TideState(const MigrationStatus& s,
                      const std::map<std::string, store::MigrationState>& progress,
                      const std::vector<HalfState>& halves, nlohmann::json& row) {
  std::string state = StateName(s.state);
  if (auto it = progress.find(s.script);
      it != progress.end() && s.file && it->second.checksum == s.file->checksum) {
    const auto& p = it->second;
    const char* how = p.status == store::RunStatus::kRunning ? "Interrupted" : "Failed";
    state = p.next_step >= p.steps
                ? fmt::format("{} with all {} steps applied (resumable)", how, p.steps)
                : fmt::format("{} at step {}/{} (resumable)", how, p.next_step + 1, p.steps);
    row["progress"] = {{"status", store::RunStatusName(p.status)},
                       {"next_step", p.next_step + 1},
                       {"steps", p.steps},
                       {"error", p.error},
                       {"updated_at", p.updated_at}};
  }
  for (const auto& h : halves) {
    if (h.file != s.file || !h.expand_done) continue;
    state = !h.contract_status
                ? "Expanded (contract pending)"
                : fmt::format("Contracting at step {}/{} (resumable)", h.contract_next_step + 1,
                              h.contract_steps);
    row["contract_pending"] = true;
    row["tide_state"] = state;  // "state" stays Flyway's (Success)
  }
  return state;
}

InfoRow RowOf(const MigrationStatus& s, const std::string& phase, const std::string& state,
              nlohmann::json json) {
  std::string category =
      s.kind == source::MigrationKind::kRepeatable ? "Repeatable" : "Versioned";
  if (s.type == store::kTypeSchema || s.type == store::kTypeBaseline) category = "";
  json["category"] = category;
  std::string on = s.applied ? s.applied->installed_on.substr(0, 19) : "";
  return {{category, s.VersionText(), s.description, phase, on, state,
           s.applied ? fmt::format("{} ms", s.applied->execution_time) : ""},
          std::move(json)};
}

std::string SchemaVersion(const std::vector<MigrationStatus>& statuses) {
  std::string version;
  for (const auto& s : statuses) {
    if (s.version && s.applied && s.applied->success &&
        (s.state == State::kSuccess || s.state == State::kBaseline ||
         s.state == State::kOutOfOrder || s.state == State::kFuture)) {
      version = s.VersionText();
    }
  }
  return version;
}

}  // namespace

Result<InfoReport> BuildInfo(store::Session& session, const config::Settings& settings,
                             source::Discovery& discovery, const std::string& target_text,
                             bool out_of_order) {
  TIDE_TRY(ResolveRepeatables(settings, session.conn(), session.schema(), discovery));
  TIDE_ASSIGN(auto history_rows, session.history().Load(session.conn()));
  TIDE_ASSIGN(auto target, ResolveTarget(target_text, discovery.migrations, history_rows));
  auto statuses = ComputeStatus(discovery.migrations, history_rows, {target, out_of_order});
  // Half-applied migrations, from tide's state table: where they stopped.
  std::map<std::string, store::MigrationState> progress;
  TIDE_ASSIGN(auto states, store::StateTable(session.schema()).LoadAll(session.conn()));
  for (auto& st : states) {
    if (st.status != store::RunStatus::kDone) progress[st.script] = std::move(st);
  }
  // Declarative migrations between their halves: expanded, contract not done.
  TIDE_ASSIGN(auto halves, OpenDeclarative(session.conn(), session.schema(), statuses));
  Placeholders placeholders = ConfiguredPlaceholders(settings);
  sql::PhaseFacts live = LiveFacts(session.conn());
  InfoReport report;
  report.history_table = session.history().Qualified();
  report.schema_version = SchemaVersion(statuses);
  for (const auto& s : statuses) {
    nlohmann::json row = {{"version", s.VersionText()},
                          {"description", s.description},
                          {"type", s.type},
                          {"script", s.script},
                          {"state", StateName(s.state)},
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
    std::string state = TideState(s, progress, halves, row);
    report.migrations.push_back(RowOf(s, phase, state, std::move(row)));
  }
  // Who ran what, from where, with which tide: the audit log of phase runs.
  TIDE_ASSIGN(report.runs, store::AuditLog(session.schema()).Recent(session.conn(), 5));
  bool lock_held = true;
  if (std::any_of(report.runs.begin(), report.runs.end(),
                  [](const auto& r) { return r.outcome == store::RunOutcome::kRunning; })) {
    TIDE_ASSIGN(lock_held, RunLock::Held(session.conn(), session.history().LockKey()));
  }
  for (auto& r : report.runs) {
    if (r.outcome == store::RunOutcome::kRunning && !lock_held) {
      r.outcome = store::RunOutcome::kInterrupted;
    }
  }
  return report;
}

}  // namespace tide::migrate
