#include "migrate/preflight.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/strings.h"
#include "exec/pg_catalog.h"
#include "gate/gate.h"
#include "store/audit.h"

namespace tide::migrate {

using store::AuditLog;
using store::Session;

namespace {

std::string SessionList(const std::vector<std::string>& others) {
  std::string list;
  for (size_t i = 0; i < others.size() && i < 10; ++i) list += "\n  " + others[i];
  return list;
}

}  // namespace

// The gate, when it is configured; a refusal is recorded in the audit log and returned.
Status RunGate(Session& session, const MigrateOptions& options, MigrateResult& result,
               Reporter& reporter) {
  if (!options.skip_gate_reason.empty()) {
    reporter.Warn(fmt::format("the replica gate is skipped: {}", options.skip_gate_reason));
    result.gate = "skipped: " + options.skip_gate_reason;
    return Ok();
  }
  if (!options.gate.configured()) {
    if (options.phase == PhaseFilter::kContract) {
      return Error::Usage("tide contract needs a gate: which release must every instance run?")
          .WithHint("pass --app NAME --version V (sessions name themselves NAME/VERSION in "
                    "application_name), or --check-command CMD, or set [gate] in tide.toml; in "
                    "an emergency, --skip-gate \"reason\" (recorded)");
    }
    reporter.Warn("contract migrations will run and no gate is configured: tide cannot tell "
                  "whether an old release is still connected (use tide expand, then tide "
                  "contract --app NAME --version V, in separate deployments)");
    return Ok();
  }
  TIDE_ASSIGN(auto gate, gate::Check(session.conn(), options.gate));
  result.gate = gate.summary;
  reporter.Info("Gate: " + gate.summary);
  if (gate.pooler_waived) {
    reporter.Warn(fmt::format("the gate cannot see clients idle in the pooler (no "
                              "--pooler-admin-url): {}",
                              options.gate.skip_pooler_clients_reason));
  }
  if (gate.standbys_waived) {
    reporter.Warn(fmt::format("the gate did not read {} replica{} streaming from the database: {}",
                              gate.unchecked_count, gate.unchecked_count == 1 ? "" : "s",
                              options.gate.skip_standbys_reason));
  }
  if (gate.passed) return Ok();
  AuditLog audit(session.schema());
  auto id = audit.Begin(session.conn(), options.command, PhaseFilterName(options.phase),
                        gate.summary, "");
  std::string text = fmt::format("the gate refused: {}{}", gate.Headline(), gate.Describe());
  if (id.ok()) (void)audit.End(session.conn(), *id, store::RunOutcome::kRefused, {}, text);
  return Error::Refused(text).WithHint(gate.Hint() +
                                       ", then run tide contract again; nothing "
                                       "was changed");
}

// A contract right after its expand, in one run, breaks an old release that is still running;
// with no other session connected (a fresh database, CI) there is none to break.
Status CheckSameRun(Session& session, const MigrateOptions& options, const Schedule& schedule) {
  const Scheduled* contract = schedule.ContractAfterExpand();
  if (!contract || !options.skip_gate_reason.empty()) return Ok();
  TIDE_ASSIGN(auto others, OtherSessions(session.conn()));
  if (others.empty()) return Ok();
  std::string list = SessionList(others);
  return Error::Refused(fmt::format("{} is a contract migration and the expand before it would "
                                    "be applied in this same run, while {} other session{} "
                                    "{} connected:{}",
                                    contract->file->Label(), others.size(),
                                    others.size() == 1 ? "" : "s",
                                    others.size() == 1 ? "is" : "are", list))
      .WithHint("deploy in two steps: tide expand now, roll out the new release, then tide "
                "contract; nothing was changed");
}

// A file that both expands and contracts runs as written only where it can break no running
// release: no other session is connected (the same test as CheckSameRun) and every table it
// contracts is small. Judged on the database, so the same file runs on an empty CI database and
// is refused (exit 3, nothing changed) on a production one with its application connected.
Status CheckMixedFiles(Session& session, const config::Settings& settings,
                       const Schedule& schedule, Reporter& reporter, MigrateResult& result) {
  std::vector<const Scheduled*> mixed;
  for (const auto& s : schedule.run) {
    if (s.mixed) mixed.push_back(&s);
  }
  if (mixed.empty()) return Ok();
  auto refuse = [](const Scheduled& s, const std::string& why) {
    return Error::Refused(fmt::format("{} mixes expand and contract statements, and {}: run "
                                      "together, a running release may break:{}",
                                      s.file->Label(), why, s.mixed_statements))
        .At({s.file->path.string(), 0, 0})
        .WithHint(
            "split it: the expand statements in this version, the contract statements in "
            "a later one, applied with tide contract once every instance runs the new "
            "release; nothing was changed");
  };
  TIDE_ASSIGN(auto others, OtherSessions(session.conn()));
  if (!others.empty()) {
    return refuse(*mixed.front(),
                  fmt::format("{} other session{} {} connected:{}", others.size(),
                              others.size() == 1 ? "" : "s", others.size() == 1 ? "is" : "are",
                              SessionList(others)));
  }
  int64_t small = settings.backfill.small_table_rows;
  exec::PgCatalog catalog(session.conn(), small);
  int64_t largest = 0;
  for (const auto* s : mixed) {
    for (const auto& t : s->contracted_tables) {
      TIDE_ASSIGN(auto facts, catalog.Table(t));
      if (!facts.exists) continue;  // created earlier in this run: empty
      if (!facts.small) {
        return refuse(*s, fmt::format("it contracts {}, which holds more than "
                                      "small_table_rows ({}) rows (an estimated {})",
                                      t.Display(), small, facts.rows));
      }
      largest = std::max(largest, std::max<int64_t>(facts.rows, 0));
    }
    result.mixed_files.push_back(s->file->Label());
  }
  result.mixed_why = fmt::format(
      "no other session is connected and every table they contract "
      "is small (at most {} rows, small_table_rows {}), so no running "
      "release can break",
      largest, small);
  reporter.Info(
      fmt::format("Running {} file{} that mix{} expand and contract statements as "
                  "written ({}): {}.",
                  mixed.size(), mixed.size() == 1 ? "" : "s", mixed.size() == 1 ? "es" : "",
                  Join(result.mixed_files, ", "), result.mixed_why));
  return Ok();
}

}  // namespace tide::migrate
