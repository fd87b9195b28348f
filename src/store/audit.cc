#include "store/audit.h"

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include "base/strings.h"
#include "base/text.h"
#include "pg/connection.h"
#include "tide_version.h"

namespace tide::store {

namespace {

std::string OsUser() {
  passwd pw{};
  passwd* found = nullptr;
  char buf[4096];
  if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &found) == 0 && found) return pw.pw_name;
  return std::to_string(geteuid());
}

std::string Host() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "?";
  return name;
}

// text[] literal parsing is not needed: the list is stored as a newline-joined text.
std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  for (auto& l : Split(s, '\n')) {
    if (!l.empty()) out.push_back(l);
  }
  return out;
}

}  // namespace

std::string AuditLog::Qualified() const { return QuoteQualified(schema_, kAuditTable); }

Result<bool> AuditLog::Exists(pg::Connection& conn) const {
  return pg::RelationExists(conn, schema_, kAuditTable);
}

Status AuditLog::CreateIfMissing(pg::Connection& conn) const {
  TIDE_ASSIGN(bool exists, Exists(conn));
  if (exists) return Ok();
  return conn.Run(fmt::format("CREATE TABLE IF NOT EXISTS {} (\n"
                              "  id bigserial PRIMARY KEY,\n"
                              "  command text NOT NULL,\n"
                              "  phase text NOT NULL,\n"
                              "  db_user text NOT NULL DEFAULT current_user,\n"
                              "  os_user text NOT NULL,\n"
                              "  host text NOT NULL,\n"
                              "  tide_version text NOT NULL,\n"
                              "  started_at timestamptz NOT NULL DEFAULT now(),\n"
                              "  finished_at timestamptz,\n"
                              "  outcome text NOT NULL DEFAULT 'running',\n"
                              "  applied text NOT NULL DEFAULT '',\n"
                              "  gate text NOT NULL DEFAULT '',\n"
                              "  skip_gate_reason text NOT NULL DEFAULT '',\n"
                              "  error text NOT NULL DEFAULT ''\n"
                              ")",
                              Qualified()));
}

Result<int64_t> AuditLog::Begin(pg::Connection& conn, const std::string& command,
                                const std::string& phase, const std::string& gate,
                                const std::string& skip_gate_reason) const {
  TIDE_TRY(CreateIfMissing(conn));
  TIDE_ASSIGN(auto id, conn.QueryValue(
                           fmt::format("INSERT INTO {} (command, phase, os_user, host, "
                                       "tide_version, gate, skip_gate_reason) "
                                       "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                                       Qualified()),
                           {command, phase, OsUser(), Host(), TIDE_VERSION, gate,
                            skip_gate_reason}));
  return id ? std::stoll(*id) : 0;
}

const char* RunOutcomeName(RunOutcome outcome) {
  switch (outcome) {
    case RunOutcome::kRunning:
      return "running";
    case RunOutcome::kOk:
      return "ok";
    case RunOutcome::kFailed:
      return "failed";
    case RunOutcome::kRefused:
      return "refused";
    case RunOutcome::kInterrupted:
      return "interrupted";
  }
  return "failed";
}

RunOutcome ParseRunOutcome(std::string_view text) {
  for (RunOutcome o : {RunOutcome::kRunning, RunOutcome::kOk, RunOutcome::kRefused,
                       RunOutcome::kInterrupted}) {
    if (text == RunOutcomeName(o)) return o;
  }
  return RunOutcome::kFailed;
}

Status AuditLog::End(pg::Connection& conn, int64_t id, RunOutcome outcome,
                     const std::vector<std::string>& applied, const std::string& error) const {
  return conn.Run(fmt::format("UPDATE {} SET finished_at = now(), outcome = $2, applied = $3, "
                              "error = $4 WHERE id = $1::bigint",
                              Qualified()),
                  {std::to_string(id), RunOutcomeName(outcome), Join(applied, "\n"),
                   Abbreviate(pg::ScrubSecrets(error), 4000)});
}

Status AuditLog::MarkInterrupted(pg::Connection& conn) const {
  TIDE_ASSIGN(bool exists, Exists(conn));
  if (!exists) return Ok();
  return conn.Run(
      fmt::format("UPDATE {} SET outcome = 'interrupted', error = 'the run ended "
                  "without finishing (killed, or its connection was lost); a later "
                  "run found it so when it took the migration lock' "
                  "WHERE outcome = 'running'",
                  Qualified()));
}

Result<std::vector<AuditEntry>> AuditLog::Recent(pg::Connection& conn, int limit) const {
  std::vector<AuditEntry> out;
  TIDE_ASSIGN(bool exists, Exists(conn));
  if (!exists) return out;
  TIDE_ASSIGN(auto r, conn.Query(
                          fmt::format("SELECT id, command, phase, db_user, os_user, host, "
                                      "tide_version, date_trunc('second', started_at)::text, "
                                      "coalesce(date_trunc('second', finished_at)::text, ''), "
                                      "outcome, applied, gate, skip_gate_reason, error "
                                      "FROM {} ORDER BY id DESC LIMIT $1::int",
                                      Qualified()),
                          {std::to_string(limit)}));
  for (int i = 0; i < r.rows(); ++i) {
    AuditEntry e;
    e.id = r.GetInt(i, 0);
    e.command = r.Get(i, 1);
    e.phase = r.Get(i, 2);
    e.db_user = r.Get(i, 3);
    e.os_user = r.Get(i, 4);
    e.host = r.Get(i, 5);
    e.tide_version = r.Get(i, 6);
    e.started_at = r.Get(i, 7);
    e.finished_at = r.Get(i, 8);
    e.outcome = ParseRunOutcome(r.Get(i, 9));
    e.applied = Lines(r.Get(i, 10));
    e.gate = r.Get(i, 11);
    e.skip_gate_reason = r.Get(i, 12);
    e.error = r.Get(i, 13);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace tide::store
