#include "store/state.h"

#include <fmt/format.h>

#include "base/json_text.h"
#include "base/strings.h"

namespace tide::store {

std::string ResumingAt(int next_step, int steps) {
  if (next_step >= steps) {
    return fmt::format("all {} step{} applied; recording it", steps, steps == 1 ? "" : "s");
  }
  return fmt::format("resuming at step {} of {}", next_step + 1, steps);
}

std::string StateTable::Qualified() const { return QuoteQualified(schema_, kStateTable); }

Result<bool> StateTable::Exists(pg::Connection& conn) const {
  if (exists_) return *exists_;
  TIDE_ASSIGN(bool exists, pg::RelationExists(conn, schema_, kStateTable));
  exists_ = exists;
  return exists;
}

Status StateTable::CreateIfMissing(pg::Connection& conn) const {
  TIDE_ASSIGN(bool exists, Exists(conn));
  if (exists) return Ok();
  exists_.reset();  // created below, or by a concurrent run: ask again next time
  return conn.Run(
      fmt::format("CREATE TABLE IF NOT EXISTS {} (\n"
                  "  script text PRIMARY KEY,\n"
                  "  version text,\n"
                  "  description text NOT NULL,\n"
                  "  checksum integer NOT NULL,\n"
                  "  phase text NOT NULL,\n"
                  "  status text NOT NULL,\n"
                  "  next_step integer NOT NULL,\n"
                  "  steps integer NOT NULL,\n"
                  "  plan jsonb NOT NULL,\n"
                  "  outputs jsonb NOT NULL DEFAULT '{{}}'::jsonb,\n"
                  "  checkpoint jsonb,\n"
                  "  error text,\n"
                  "  started_at timestamptz NOT NULL DEFAULT now(),\n"
                  "  updated_at timestamptz NOT NULL DEFAULT now()\n"
                  ")",
                  Qualified()));
}

namespace {

MigrationState FromRow(const pg::PgResult& r, int i) {
  MigrationState s;
  s.script = r.Get(i, 0);
  s.version = r.GetOptional(i, 1);
  s.description = r.Get(i, 2);
  s.checksum = static_cast<int32_t>(r.GetInt(i, 3));
  s.phase = r.Get(i, 4);
  s.status = ParseRunStatus(r.Get(i, 5));
  s.next_step = static_cast<int>(r.GetInt(i, 6));
  s.steps = static_cast<int>(r.GetInt(i, 7));
  s.plan = nlohmann::json::parse(r.Get(i, 8), nullptr, false);
  s.outputs = nlohmann::json::parse(r.Get(i, 9), nullptr, false);
  if (!r.IsNull(i, 10)) s.checkpoint = nlohmann::json::parse(r.Get(i, 10), nullptr, false);
  s.error = r.Get(i, 11);
  s.started_at = r.Get(i, 12);
  s.updated_at = r.Get(i, 13);
  return s;
}

constexpr const char* kColumns =
    "script, version, description, checksum, phase, status, next_step, steps, plan::text, "
    "outputs::text, checkpoint::text, error, started_at::text, updated_at::text";

}  // namespace

Result<std::optional<MigrationState>> StateTable::Load(pg::Connection& conn,
                                                       const std::string& script) const {
  TIDE_ASSIGN(bool exists, Exists(conn));
  if (!exists) return std::optional<MigrationState>();
  TIDE_ASSIGN(auto r,
              conn.Query(fmt::format("SELECT {} FROM {} WHERE script = $1", kColumns, Qualified()),
                         {script}));
  if (r.rows() == 0) return std::optional<MigrationState>();
  return std::optional<MigrationState>(FromRow(r, 0));
}

Result<std::vector<MigrationState>> StateTable::LoadAll(pg::Connection& conn) const {
  return LoadWhere(conn, "true");
}

Result<std::vector<MigrationState>> StateTable::LoadUnfinished(pg::Connection& conn) const {
  return LoadWhere(conn, "status <> 'done'");
}

Result<std::vector<MigrationState>> StateTable::LoadWhere(pg::Connection& conn,
                                                          const char* condition) const {
  std::vector<MigrationState> out;
  TIDE_ASSIGN(bool exists, Exists(conn));
  if (!exists) return out;
  TIDE_ASSIGN(auto r, conn.Exec(fmt::format("SELECT {} FROM {} WHERE {} ORDER BY updated_at DESC",
                                            kColumns, Qualified(), condition)));
  for (int i = 0; i < r.rows(); ++i) out.push_back(FromRow(r, i));
  return out;
}

const char* RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kDone:
      return "done";
  }
  return "failed";
}

RunStatus ParseRunStatus(std::string_view text) {
  if (text == "running") return RunStatus::kRunning;
  if (text == "done") return RunStatus::kDone;
  return RunStatus::kFailed;
}

namespace {

// Inserts or replaces the row for state.script with the given status and next step.
std::string UpsertSql(const std::string& table, RunStatus status,
                      const std::string& next_step) {
  return fmt::format(
      "INSERT INTO {0} (script, version, description, checksum, phase, status, "
      "next_step, steps, plan, outputs, checkpoint, error) "
      "VALUES ($1, $2, $3, $4::integer, $5, '{1}', {2}, $6::integer, $7::jsonb, "
      "'{{}}'::jsonb, NULL, NULL) "
      "ON CONFLICT (script) DO UPDATE SET version = EXCLUDED.version, "
      "description = EXCLUDED.description, checksum = EXCLUDED.checksum, "
      "phase = EXCLUDED.phase, status = '{1}', next_step = EXCLUDED.next_step, "
      "steps = EXCLUDED.steps, plan = EXCLUDED.plan, outputs = '{{}}'::jsonb, "
      "checkpoint = NULL, error = NULL, started_at = now(), updated_at = now()",
      table, RunStatusName(status), next_step);
}

}  // namespace

Status StateTable::Start(pg::Connection& conn, const MigrationState& s) const {
  return conn.Run(UpsertSql(Qualified(), RunStatus::kRunning, "0"),
                  {s.script, s.version, s.description, std::to_string(s.checksum), s.phase,
                   std::to_string(s.steps), DumpJson(s.plan)});
}

Status StateTable::Advance(pg::Connection& conn, const std::string& script, int next_step,
                           const nlohmann::json& outputs) const {
  return conn.Run(
      fmt::format("UPDATE {} SET next_step = $2::integer, outputs = $3::jsonb, "
                  "checkpoint = NULL, status = 'running', error = NULL, updated_at = now() "
                  "WHERE script = $1",
                  Qualified()),
      {script, std::to_string(next_step), DumpJson(outputs)});
}

Status StateTable::ClearCheckpoint(pg::Connection& conn, const std::string& script,
                                   int step) const {
  return conn.Run(fmt::format("UPDATE {} SET checkpoint = NULL, updated_at = now() "
                              "WHERE script = $1 AND (checkpoint->>'step')::integer = $2::integer",
                              Qualified()),
                  {script, std::to_string(step)});
}

Status StateTable::Finish(pg::Connection& conn, const std::string& script) const {
  return conn.Run(fmt::format("UPDATE {} SET status = 'done', next_step = steps, "
                              "checkpoint = NULL, error = NULL, updated_at = now() "
                              "WHERE script = $1",
                              Qualified()),
                  {script});
}

Status StateTable::Fail(pg::Connection& conn, const std::string& script,
                        const std::string& error) const {
  return conn.Run(fmt::format("UPDATE {} SET status = 'failed', error = $2, updated_at = now() "
                              "WHERE script = $1",
                              Qualified()),
                  {script, error});
}

std::string StateTable::CheckpointedBatch(const std::string& batch, const std::string& checkpoint,
                                          int script_param, const std::string& extra) const {
  return fmt::format(
      "WITH tide_batch AS ({}) UPDATE {} SET checkpoint = {}, updated_at = now() "
      "WHERE script = ${} RETURNING (SELECT count(*) FROM tide_batch), {}",
      batch, Qualified(), checkpoint, script_param, extra);
}

Status StateTable::Delete(pg::Connection& conn, const std::string& script) const {
  return conn.Run(fmt::format("DELETE FROM {} WHERE script = $1", Qualified()), {script});
}

}  // namespace tide::store
