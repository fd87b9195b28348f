#include "migrate/status.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace tide::migrate {

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

std::vector<MigrationStatus> ComputeStatus(const std::vector<MigrationFile>& files,
                                           const std::vector<AppliedMigration>& history,
                                           const StatusOptions& options) {
  std::vector<MigrationStatus> out;
  std::optional<Version> baseline;
  std::optional<Version> newest_applied;
  std::optional<Version> newest_local;
  // Versioned rows by version: the last row wins (a DELETE row hides the one before it).
  std::map<Version, std::vector<const AppliedMigration*>, VersionLess> applied;
  std::map<Version, bool, VersionLess> out_of_order;
  std::vector<const AppliedMigration*> repeatable_rows;

  for (const auto& f : files) {
    if (f.kind == MigrationKind::kVersioned && (!newest_local || *newest_local < *f.version)) {
      newest_local = f.version;
    }
  }
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
      repeatable_rows.push_back(&row);
      continue;
    }
    if (row.type == kTypeBaseline) {
      baseline = v;
    } else if (row.type != kTypeDelete && row.success) {
      if (newest_applied && *v < *newest_applied) out_of_order[*v] = true;
    }
    applied[*v].push_back(&row);
    if (row.type != kTypeDelete && row.success && (!newest_applied || *newest_applied < *v)) {
      newest_applied = v;
    }
  }

  std::map<Version, const MigrationFile*, VersionLess> local;
  for (const auto& f : files) {
    if (f.kind == MigrationKind::kVersioned) local[*f.version] = &f;
  }
  std::map<Version, bool, VersionLess> all_versions;
  for (const auto& [v, _] : local) all_versions[v] = true;
  for (const auto& [v, _] : applied) all_versions[v] = true;

  for (const auto& [v, _] : all_versions) {
    auto lit = local.find(v);
    auto ait = applied.find(v);
    const MigrationFile* file = lit == local.end() ? nullptr : lit->second;
    const AppliedMigration* row = nullptr;
    if (ait != applied.end()) {
      for (const auto* r : ait->second) {
        if (r->type == kTypeDelete) {
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
        } else {
          row = r;
        }
      }
    }
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
      if (row->type == kTypeBaseline) {
        s.state = State::kBaseline;
      } else if (!row->success) {
        s.state = State::kFailed;
      } else if (!file) {
        s.state = (newest_local && *newest_local < v) || !newest_local ? State::kFuture
                                                                       : State::kMissing;
      } else {
        s.state = out_of_order.count(v) ? State::kOutOfOrder : State::kSuccess;
      }
    } else {
      s.description = file->description;
      s.script = file->script;
      if (baseline && !(*baseline < v)) {
        s.state = State::kBelowBaseline;
      } else if (options.target && *options.target < v) {
        s.state = State::kAboveTarget;
      } else if (newest_applied && v < *newest_applied && !options.out_of_order) {
        s.state = State::kIgnored;
      } else {
        s.state = State::kPending;
      }
    }
    if (file && !row) s.description = file->description;
    out.push_back(std::move(s));
  }

  // Repeatables: the newest row per description decides; older rows are superseded.
  std::map<std::string, const AppliedMigration*> newest_repeatable;
  for (const auto* row : repeatable_rows) newest_repeatable[row->description] = row;
  for (const auto* row : repeatable_rows) {
    if (newest_repeatable[row->description] == row) continue;
    MigrationStatus s;
    s.kind = MigrationKind::kRepeatable;
    s.description = row->description;
    s.script = row->script;
    s.state = State::kSuperseded;
    s.applied = *row;
    out.push_back(std::move(s));
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
    auto it = newest_repeatable.find(f.description);
    if (it == newest_repeatable.end()) {
      s.state = State::kPending;
    } else {
      s.applied = *it->second;
      if (!it->second->success) {
        s.state = State::kFailed;
      } else {
        s.state = it->second->checksum == f.checksum ? State::kSuccess : State::kOutdated;
      }
    }
    out.push_back(std::move(s));
  }
  for (const auto& [description, row] : newest_repeatable) {
    if (seen.count(description)) continue;
    MigrationStatus s;
    s.kind = MigrationKind::kRepeatable;
    s.description = description;
    s.script = row->script;
    s.state = row->success ? State::kMissing : State::kFailed;
    s.applied = *row;
    out.push_back(std::move(s));
  }
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
