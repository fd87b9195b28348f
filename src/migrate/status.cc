#include "migrate/status.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace tide::migrate {

using source::MigrationFile;
using source::MigrationKind;
using source::Version;
using store::AppliedMigration;
using store::kTypeBaseline;
using store::kTypeDelete;
using store::kTypeSchema;
using store::kTypeSql;

const char* StateName(State state) {
  switch (state) {
    case State::kPending: return "Pending";
    case State::kSuccess: return "Success";
    case State::kFailed: return "Failed";
    case State::kMissing: return "Missing";
    case State::kFuture: return "Future";
    case State::kOutOfOrder: return "Out of Order";
    case State::kIgnored: return "Ignored";
    case State::kBaseline: return "Baseline";
    case State::kBelowBaseline: return "Below Baseline";
    case State::kAboveTarget: return "Above Target";
    case State::kOutdated: return "Outdated";
    case State::kSuperseded: return "Superseded";
    case State::kDeleted: return "Deleted";
    case State::kSchemaCreation: return "Success";
  }
  return "?";
}

namespace {

struct VersionLess {
  bool operator()(const Version& a, const Version& b) const { return a < b; }
};

std::optional<Version> ParsedVersion(const AppliedMigration& row) {
  if (!row.version) return std::nullopt;
  auto v = Version::Parse(*row.version);
  if (!v.ok()) return std::nullopt;
  return std::move(v).value();
}

}  // namespace

namespace {

// The history table read for status: versioned rows by version (the last row wins; a DELETE row
// hides the one before it), repeatable rows in order, and the versions that bound the rest.
struct HistoryIndex {
  std::optional<Version> baseline;
  std::optional<Version> newest_applied;
  std::map<Version, std::vector<const AppliedMigration*>, VersionLess> applied;
  std::map<Version, bool, VersionLess> out_of_order;
  std::vector<const AppliedMigration*> repeatable_rows;
};

// Indexes history; the schema-creation row goes straight to out.
HistoryIndex IndexHistory(const std::vector<AppliedMigration>& history,
                          std::vector<MigrationStatus>& out) {
  HistoryIndex index;
  for (const auto& row : history) {
    if (row.type == kTypeSchema) {
      MigrationStatus s;
      s.description = row.description;
      s.type = row.type;
      s.script = row.script;
      s.state = State::kSchemaCreation;
      s.applied = row;
      out.push_back(std::move(s));
      continue;
    }
    auto v = ParsedVersion(row);
    if (!v) {
      index.repeatable_rows.push_back(&row);
      continue;
    }
    bool counts = row.type != kTypeDelete && row.success;
    if (row.type == kTypeBaseline) {
      index.baseline = v;
    } else if (counts && index.newest_applied && *v < *index.newest_applied) {
      index.out_of_order[*v] = true;
    }
    index.applied[*v].push_back(&row);
    if (counts && (!index.newest_applied || *index.newest_applied < *v)) index.newest_applied = v;
  }
  return index;
}

// The row that stands for version v after DELETE rows; a row a DELETE hid is reported Deleted.
const AppliedMigration* StandingRow(const HistoryIndex& index, const Version& v,
                                    std::vector<MigrationStatus>& out) {
  const AppliedMigration* row = nullptr;
  auto it = index.applied.find(v);
  if (it == index.applied.end()) return nullptr;
  for (const auto* r : it->second) {
    if (r->type != kTypeDelete) {
      row = r;
      continue;
    }
    if (row) {
      MigrationStatus deleted;
      deleted.version = v;
      deleted.description = row->description;
      deleted.type = row->type;
      deleted.script = row->script;
      deleted.state = State::kDeleted;
      deleted.applied = *row;
      out.push_back(std::move(deleted));
    }
    row = nullptr;
  }
  return row;
}

State AppliedState(const AppliedMigration& row, const MigrationFile* file, const Version& v,
                   const HistoryIndex& index, const std::optional<Version>& newest_local) {
  if (row.type == kTypeBaseline) return State::kBaseline;
  if (!row.success) return State::kFailed;
  if (!file) {
    return !newest_local || *newest_local < v ? State::kFuture : State::kMissing;
  }
  return index.out_of_order.count(v) ? State::kOutOfOrder : State::kSuccess;
}

State PendingState(const Version& v, const HistoryIndex& index, const StatusOptions& options) {
  if (index.baseline && !(*index.baseline < v)) return State::kBelowBaseline;
  if (options.target && *options.target < v) return State::kAboveTarget;
  if (index.newest_applied && v < *index.newest_applied && !options.out_of_order) {
    return State::kIgnored;
  }
  return State::kPending;
}

void AppendVersioned(const std::vector<MigrationFile>& files, const HistoryIndex& index,
                     const StatusOptions& options, std::vector<MigrationStatus>& out) {
  std::optional<Version> newest_local;
  std::map<Version, const MigrationFile*, VersionLess> local;
  for (const auto& f : files) {
    if (f.kind != MigrationKind::kVersioned) continue;
    local[*f.version] = &f;
    if (!newest_local || *newest_local < *f.version) newest_local = f.version;
  }
  std::map<Version, bool, VersionLess> all_versions;
  for (const auto& [v, _] : local) all_versions[v] = true;
  for (const auto& [v, _] : index.applied) all_versions[v] = true;
  for (const auto& [v, _] : all_versions) {
    auto lit = local.find(v);
    const MigrationFile* file = lit == local.end() ? nullptr : lit->second;
    const AppliedMigration* row = StandingRow(index, v, out);
    if (!row && !file) continue;  // applied, then marked deleted, and the file is gone too
    MigrationStatus s;
    s.kind = MigrationKind::kVersioned;
    s.version = v;
    s.file = file;
    if (row) {
      s.applied = *row;
      s.description = row->description;
      s.type = row->type;
      s.script = row->script;
      s.state = AppliedState(*row, file, v, index, newest_local);
    } else {
      s.description = file->description;
      s.script = file->script;
      s.state = PendingState(v, index, options);
    }
    out.push_back(std::move(s));
  }
}

// Repeatables: the newest row per description decides; older rows are superseded.
void AppendRepeatable(const std::vector<MigrationFile>& files, const HistoryIndex& index,
                      std::vector<MigrationStatus>& out) {
  std::map<std::string, const AppliedMigration*> newest;
  for (const auto* row : index.repeatable_rows) newest[row->description] = row;
  auto status_of_row = [](const AppliedMigration& row, State state) {
    MigrationStatus s;
    s.kind = MigrationKind::kRepeatable;
    s.description = row.description;
    s.script = row.script;
    s.state = state;
    s.applied = row;
    return s;
  };
  for (const auto* row : index.repeatable_rows) {
    if (newest[row->description] != row) out.push_back(status_of_row(*row, State::kSuperseded));
  }
  std::map<std::string, bool> seen;
  for (const auto& f : files) {
    if (f.kind != MigrationKind::kRepeatable) continue;
    seen[f.description] = true;
    MigrationStatus s;
    s.kind = MigrationKind::kRepeatable;
    s.description = f.description;
    s.script = f.script;
    s.file = &f;
    auto it = newest.find(f.description);
    if (it == newest.end()) {
      s.state = State::kPending;
    } else {
      s.applied = *it->second;
      s.state = !it->second->success                  ? State::kFailed
                : it->second->checksum == f.checksum ? State::kSuccess
                                                     : State::kOutdated;
    }
    out.push_back(std::move(s));
  }
  for (const auto& [description, row] : newest) {
    if (seen.count(description)) continue;
    out.push_back(status_of_row(*row, row->success ? State::kMissing : State::kFailed));
  }
}

}  // namespace

std::vector<MigrationStatus> ComputeStatus(const std::vector<MigrationFile>& files,
                                           const std::vector<AppliedMigration>& history,
                                           const StatusOptions& options) {
  std::vector<MigrationStatus> out;
  HistoryIndex index = IndexHistory(history, out);
  AppendVersioned(files, index, options, out);
  AppendRepeatable(files, index, out);
  return out;
}

Result<std::optional<Version>> ResolveTarget(const std::string& target,
                                             const std::vector<MigrationFile>& files,
                                             const std::vector<AppliedMigration>& history) {
  if (target.empty() || target == "latest") return std::optional<Version>();
  if (target == "current" || target == "next") {
    std::optional<Version> current;
    for (const auto& row : history) {
      auto v = ParsedVersion(row);
      if (v && row.success && row.type != kTypeDelete && (!current || *current < *v)) current = v;
    }
    if (target == "current") return current ? current : std::optional<Version>(Version());
    for (const auto& f : files) {
      if (f.kind == MigrationKind::kVersioned && (!current || *current < *f.version)) {
        return std::optional<Version>(*f.version);
      }
    }
    return current ? current : std::optional<Version>(Version());
  }
  auto v = Version::Parse(target);
  if (!v.ok()) {
    return Error::Usage(fmt::format("--target '{}' is not a version", target))
        .WithHint("use a version such as 1.1, or latest, current or next");
  }
  return std::optional<Version>(std::move(v).value());
}

std::vector<ValidationIssue> Validate(const std::vector<MigrationStatus>& statuses,
                                      bool out_of_order) {
  std::vector<ValidationIssue> issues;
  for (const auto& s : statuses) {
    std::string name = s.kind == MigrationKind::kVersioned
                           ? fmt::format("V{} ({})", s.VersionText(), s.script)
                           : fmt::format("R {} ({})", s.description, s.script);
    switch (s.state) {
      case State::kFailed:
        issues.push_back({s.script, name + " failed",
                          "fix the cause, then run tide migrate (tide resumes what it can) or "
                          "tide repair to remove the failed row"});
        break;
      case State::kMissing:
        issues.push_back({s.script, name + " was applied but its file is not in the locations",
                          "restore the file, or run tide repair to mark it deleted"});
        break;
      case State::kIgnored:
        if (!out_of_order) {
          issues.push_back({s.script,
                            name + " is pending but older than the newest applied migration",
                            "rename it to a newer version, or run with --out-of-order"});
        }
        break;
      default:
        break;
    }
    if (s.kind == MigrationKind::kVersioned && s.file && s.applied && s.applied->success &&
        s.applied->type == kTypeSql && s.state != State::kFailed) {
      if (s.applied->checksum != s.file->checksum) {
        issues.push_back(
            {s.script,
             fmt::format("{} changed after it was applied: checksum {} in history, {} on disk",
                         name, s.applied->checksum ? std::to_string(*s.applied->checksum) : "NULL",
                         s.file->checksum),
             "undo the edit and put the change in a new migration; if the edit is harmless "
             "(a comment), run tide repair to accept it"});
      } else if (s.applied->description != s.file->description) {
        issues.push_back({s.script,
                          fmt::format("{} was applied as '{}' but the file now says '{}'", name,
                                      s.applied->description, s.file->description),
                          "rename the file back, or run tide repair to accept the new name"});
      }
    }
  }
  return issues;
}

}  // namespace tide::migrate
