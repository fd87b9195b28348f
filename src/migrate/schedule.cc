#include "migrate/schedule.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/strings.h"
#include "migrate/phase.h"

namespace tide::migrate {

using source::MigrationFile;
using source::MigrationKind;
using source::ScriptFormat;
using source::Version;
using store::AppliedMigration;
using store::kTypeSql;

const char* PhaseFilterName(PhaseFilter filter) {
  switch (filter) {
    case PhaseFilter::kAll: return "all";
    case PhaseFilter::kExpand: return "expand";
    case PhaseFilter::kContract: return "contract";
  }
  return "?";
}

bool Schedule::has_contract() const {
  for (const auto& s : run) {
    if (s.contract()) return true;
  }
  return false;
}

const Scheduled* Schedule::ContractAfterExpand() const {
  bool expand_seen = false;
  for (const auto& s : run) {
    if (s.file->kind != MigrationKind::kVersioned) continue;
    if (s.contract() && expand_seen) return &s;
    if (!s.contract()) expand_seen = true;
  }
  return nullptr;
}

std::string Scheduled::Label() const {
  return half == Half::kWhole ? file->Label()
                              : fmt::format("{} ({})", file->Label(),
                                            half == Half::kExpand ? "expand" : "contract");
}

Result<Schedule> MakeSchedule(const std::vector<const MigrationFile*>& pending, PhaseFilter filter,
                              const std::vector<const MigrationFile*>& contract_pending,
                              const sql::PhaseFacts& facts) {
  std::vector<Scheduled> all;
  sql::PhaseFacts run_facts = facts;  // grows with what each pending file creates
  for (const auto* f : pending) {
    if (f->format == ScriptFormat::kYaml) {
      all.push_back({f, sql::Phase::kExpand, Half::kExpand});
      all.push_back({f, sql::Phase::kContract, Half::kContract});
      continue;
    }
    TIDE_ASSIGN(PhaseInfo info, PhaseOf(*f, run_facts));
    Scheduled s{f, info.phase};
    s.mixed = info.mixed;
    s.mixed_statements = std::move(info.statements);
    s.contracted_tables = std::move(info.contracted_tables);
    all.push_back(std::move(s));
    for (auto& o : info.created) run_facts.created_earlier.push_back(std::move(o));
  }
  for (const auto* f : contract_pending) all.push_back({f, sql::Phase::kContract, Half::kContract});
  // Versioned entries by version (an expand half before its contract half); repeatables after.
  std::stable_sort(all.begin(), all.end(), [](const Scheduled& a, const Scheduled& b) {
    bool av = a.file->kind == MigrationKind::kVersioned;
    bool bv = b.file->kind == MigrationKind::kVersioned;
    if (av != bv) return av;
    if (!av) return false;
    if (*a.file->version < *b.file->version) return true;
    if (*b.file->version < *a.file->version) return false;
    return a.half < b.half;
  });
  Schedule out;
  size_t versioned_taken = 0, versioned_total = 0;
  for (const auto& s : all) versioned_total += s.file->kind == MigrationKind::kVersioned;
  bool stopped = false;
  for (const auto& s : all) {
    if (s.file->kind != MigrationKind::kVersioned) continue;
    bool take = filter == PhaseFilter::kAll ||
                (filter == PhaseFilter::kExpand && !s.contract()) ||
                (filter == PhaseFilter::kContract && s.contract());
    if (!take) {
      out.stopped_before = s.half == Half::kWhole
                               ? fmt::format("{} ({})", s.file->Label(), ScheduleName(s.phase))
                               : s.Label();
      stopped = true;
      break;
    }
    out.run.push_back(s);
    ++versioned_taken;
  }
  (void)stopped;
  if (versioned_taken == versioned_total) {
    for (const auto& s : all) {
      if (s.file->kind == MigrationKind::kRepeatable) out.run.push_back(s);
    }
  }
  return out;
}

sql::PhaseFacts LiveFacts(pg::Connection& conn) {
  sql::PhaseFacts facts;
  facts.view = [&conn](const sql::TableName& name) -> std::optional<sql::ViewShape> {
    auto r = conn.Query(
        "SELECT a.attname FROM pg_attribute a WHERE a.attrelid = to_regclass($1) "
        "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        {name.Quoted()});
    if (!r.ok()) return std::nullopt;  // unknown: the replacement is judged a contract
    sql::ViewShape shape;
    shape.source = "the database";
    shape.exists = r->rows() > 0;
    std::vector<std::string> columns;
    for (int i = 0; i < r->rows(); ++i) columns.push_back(r->Get(i, 0));
    shape.columns = std::move(columns);
    return shape;
  };
  return facts;
}

Result<std::vector<std::string>> OtherSessions(pg::Connection& conn) {
  TIDE_ASSIGN(auto r, conn.Exec(
                          "SELECT pid, coalesce(nullif(application_name, ''), 'no "
                          "application_name'), coalesce(client_addr::text, 'local') "
                          "FROM pg_stat_activity WHERE datname = current_database() "
                          "AND backend_type = 'client backend' AND pid <> pg_backend_pid() "
                          "AND application_name NOT LIKE 'tide%' ORDER BY backend_start"));
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back(fmt::format("pid {} ({}, from {})", r.Get(i, 0), r.Get(i, 1), r.Get(i, 2)));
  }
  return out;
}

Status CheckExpandAge(const Schedule& schedule, const std::vector<MigrationFile>& files,
                      const std::vector<AppliedMigration>& history,
                      std::chrono::milliseconds min_age, pg::Connection& conn) {
  if (min_age.count() <= 0 || !schedule.has_contract()) return Ok();
  const MigrationFile* first_contract = nullptr;
  bool own_expand = false;  // a declarative contract half: its own expand is the one to age
  for (const auto& s : schedule.run) {
    if (s.contract()) {
      first_contract = s.file;
      own_expand = s.half == Half::kContract;
      break;
    }
  }
  // The newest applied expand migration below the first contract.
  const AppliedMigration* newest = nullptr;
  std::optional<Version> newest_version;
  for (const auto& row : history) {
    if (!row.success || !row.version || row.type != kTypeSql) continue;
    auto v = Version::Parse(*row.version);
    if (!v.ok()) continue;
    bool same = own_expand && *v == *first_contract->version;
    if (!same && !(*v < *first_contract->version)) continue;
    const MigrationFile* file = nullptr;
    for (const auto& f : files) {
      if (f.version && *f.version == *v) file = &f;
    }
    if (!file) continue;
    auto phase = PhaseOf(*file);
    if (!phase.ok() || phase->phase == sql::Phase::kContract) continue;
    if (!newest_version || *newest_version < *v) {
      newest_version = *v;
      newest = &row;
    }
  }
  if (!newest) return Ok();
  TIDE_ASSIGN(auto age, conn.QueryValue("SELECT (extract(epoch FROM now() - $1::timestamp) * "
                                        "1000)::bigint",
                                        {newest->installed_on}));
  int64_t ms = age ? std::stoll(*age) : 0;
  if (ms >= min_age.count()) return Ok();
  return Error::Refused(fmt::format("the expand V{} was applied {} ago, less than the "
                                    "--min-expand-age of {}: {} waits",
                                    *newest->version,
                                    FormatDuration(std::chrono::milliseconds(ms)),
                                    FormatDuration(min_age), first_contract->Label()))
      .WithHint("run tide contract later, once the new release has been out long enough");
}

}  // namespace tide::migrate
