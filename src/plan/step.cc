#include "plan/step.h"

#include <stdexcept>

namespace tide::plan {

using nlohmann::json;

const char* StepKindName(StepKind kind) {
  switch (kind) {
    case StepKind::kSql: return "sql";
    case StepKind::kSession: return "session";
    case StepKind::kBackfill: return "backfill";
    case StepKind::kCreateIndexConcurrently: return "create_index_concurrently";
    case StepKind::kDropIndexConcurrently: return "drop_index_concurrently";
    case StepKind::kReindexConcurrently: return "reindex_concurrently";
    case StepKind::kAddConstraintNotValid: return "add_constraint_not_valid";
    case StepKind::kValidateConstraint: return "validate_constraint";
    case StepKind::kDetachPartitionConcurrently: return "detach_partition_concurrently";
  }
  return "?";
}

// How a plan is stored (the state table keeps it for a resumed run): nlohmann's own mapping,
// field names fixed, since a plan written by one tide release is read back by the next.
NLOHMANN_JSON_SERIALIZE_ENUM(StepKind,
                             {{StepKind::kSql, "sql"},
                              {StepKind::kSession, "session"},
                              {StepKind::kBackfill, "backfill"},
                              {StepKind::kCreateIndexConcurrently, "create_index_concurrently"},
                              {StepKind::kDropIndexConcurrently, "drop_index_concurrently"},
                              {StepKind::kReindexConcurrently, "reindex_concurrently"},
                              {StepKind::kAddConstraintNotValid, "add_constraint_not_valid"},
                              {StepKind::kValidateConstraint, "validate_constraint"},
                              {StepKind::kDetachPartitionConcurrently,
                               "detach_partition_concurrently"}})
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(BackfillSpec, table, label, key, key_types, head, where, guard,
                                   alias, live_end, is_delete)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Refusal, statement, line, rule, message, recipe)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Note, statement, line, rule, text)

// Found by nlohmann through argument-dependent lookup, so not in an unnamed namespace.
void to_json(json& j, const Step& s) {  // NOLINT(readability-identifier-naming): nlohmann's name
  j = {{"kind", s.kind},
       {"sql", s.sql},
       {"table", s.table},
       {"lock_tables", s.lock_tables},
       {"lock", sql::LockName(s.lock)},  // for a reader; lock_mode is what is read back
       {"lock_mode", static_cast<int>(s.lock)},
       {"transactional", s.transactional},
       {"own_transaction", s.own_transaction},
       {"statement", s.statement},
       {"line", s.line},
       {"column", s.column},
       {"why", s.why},
       {"estimated_rows", s.estimated_rows},
       {"object_name", s.object_name},
       {"constraint_from_step", s.constraint_from_step},
       {"group", s.group}};
  if (s.backfill) j["backfill"] = *s.backfill;
}

void from_json(const json& j, Step& s) {  // NOLINT(readability-identifier-naming)
  const json& kind = j.at("kind");
  kind.get_to(s.kind);
  // nlohmann maps a name it does not know to the first kind: refuse it rather than run it as SQL.
  if (s.kind == StepKind::kSql && kind != "sql") {
    throw std::invalid_argument("unknown step kind " + kind.dump());
  }
  j.at("sql").get_to(s.sql);
  j.at("table").get_to(s.table);
  j.at("lock_tables").get_to(s.lock_tables);
  s.lock = static_cast<sql::Lock>(j.at("lock_mode").get<int>());
  j.at("transactional").get_to(s.transactional);
  j.at("own_transaction").get_to(s.own_transaction);
  j.at("statement").get_to(s.statement);
  j.at("line").get_to(s.line);
  s.column = j.value("column", 0);  // plans stored before columns were recorded
  j.at("why").get_to(s.why);
  j.at("estimated_rows").get_to(s.estimated_rows);
  j.at("object_name").get_to(s.object_name);
  j.at("constraint_from_step").get_to(s.constraint_from_step);
  j.at("group").get_to(s.group);
  if (j.contains("backfill")) s.backfill = j.at("backfill").get<BackfillSpec>();
}

int Plan::GroupCount() const {
  int n = 0;
  for (const auto& s : steps) n = std::max(n, s.group + 1);
  return n;
}

void AssignGroups(Plan& plan) {
  int group = -1;
  bool open = false;  // the current group accepts more steps
  for (auto& s : plan.steps) {
    bool shareable = s.transactional && !s.own_transaction &&
                     (s.kind == StepKind::kSql || s.kind == StepKind::kSession ||
                      s.kind == StepKind::kAddConstraintNotValid);
    if (shareable && open && !s.new_transaction) {
      s.group = group;
    } else {
      s.group = ++group;
      open = shareable;
    }
  }
}

json Plan::ToJson() const {
  return {{"steps", steps}, {"refusals", refusals}, {"notes", notes}};
}

Result<Plan> Plan::FromJson(const json& doc) {
  Plan plan;
  try {
    doc.at("steps").get_to(plan.steps);
    doc.at("refusals").get_to(plan.refusals);
    doc.at("notes").get_to(plan.notes);
  } catch (const std::exception& e) {
    return Error::Internal(std::string("stored plan cannot be read: ") + e.what());
  }
  return plan;
}

}  // namespace tide::plan
