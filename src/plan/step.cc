#include "plan/step.h"

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

namespace {

std::optional<StepKind> KindFromName(const std::string& name) {
  for (int i = 0; i <= static_cast<int>(StepKind::kDetachPartitionConcurrently); ++i) {
    auto k = static_cast<StepKind>(i);
    if (name == StepKindName(k)) return k;
  }
  return std::nullopt;
}

}  // namespace

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
  json steps_json = json::array();
  for (const auto& s : steps) {
    json j = {{"kind", StepKindName(s.kind)},
              {"sql", s.sql},
              {"table", s.table},
              {"lock_tables", s.lock_tables},
              {"lock", sql::LockName(s.lock)},
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
    if (s.backfill) {
      const auto& b = *s.backfill;
      j["backfill"] = {{"table", b.table},   {"label", b.label},       {"key", b.key},
                       {"key_types", b.key_types}, {"head", b.head}, {"where", b.where},
                       {"guard", b.guard},   {"alias", b.alias},       {"live_end", b.live_end},
                       {"is_delete", b.is_delete}};
    }
    steps_json.push_back(std::move(j));
  }
  json refusals_json = json::array();
  for (const auto& r : refusals) {
    refusals_json.push_back({{"statement", r.statement}, {"line", r.line}, {"rule", r.rule},
                             {"message", r.message}, {"recipe", r.recipe}});
  }
  json notes_json = json::array();
  for (const auto& n : notes) {
    notes_json.push_back(
        {{"statement", n.statement}, {"line", n.line}, {"rule", n.rule}, {"text", n.text}});
  }
  return {{"steps", steps_json}, {"refusals", refusals_json}, {"notes", notes_json}};
}

Result<Plan> Plan::FromJson(const json& doc) {
  Plan plan;
  try {
    for (const auto& j : doc.at("steps")) {
      Step s;
      auto kind = KindFromName(j.at("kind").get<std::string>());
      if (!kind) return Error::Internal("stored plan has an unknown step kind");
      s.kind = *kind;
      s.sql = j.at("sql").get<std::string>();
      s.table = j.at("table").get<std::string>();
      s.lock_tables = j.at("lock_tables").get<std::vector<std::string>>();
      s.lock = static_cast<sql::Lock>(j.at("lock_mode").get<int>());
      s.transactional = j.at("transactional").get<bool>();
      s.own_transaction = j.at("own_transaction").get<bool>();
      s.statement = j.at("statement").get<int>();
      s.line = j.at("line").get<int>();
      s.column = j.value("column", 0);
      s.why = j.at("why").get<std::string>();
      s.estimated_rows = j.at("estimated_rows").get<int64_t>();
      s.object_name = j.at("object_name").get<std::string>();
      s.constraint_from_step = j.at("constraint_from_step").get<int>();
      s.group = j.at("group").get<int>();
      if (j.contains("backfill")) {
        const auto& b = j["backfill"];
        BackfillSpec spec;
        spec.table = b.at("table").get<std::string>();
        spec.label = b.at("label").get<std::string>();
        spec.key = b.at("key").get<std::vector<std::string>>();
        spec.key_types = b.at("key_types").get<std::vector<std::string>>();
        spec.head = b.at("head").get<std::string>();
        spec.where = b.at("where").get<std::string>();
        spec.guard = b.at("guard").get<std::string>();
        spec.alias = b.at("alias").get<std::string>();
        spec.live_end = b.at("live_end").get<bool>();
        spec.is_delete = b.at("is_delete").get<bool>();
        s.backfill = std::move(spec);
      }
      plan.steps.push_back(std::move(s));
    }
    for (const auto& r : doc.at("refusals")) {
      plan.refusals.push_back({r.at("statement").get<int>(), r.at("line").get<int>(),
                               r.at("rule").get<std::string>(), r.at("message").get<std::string>(),
                               r.at("recipe").get<std::string>()});
    }
    for (const auto& n : doc.at("notes")) {
      plan.notes.push_back({n.at("statement").get<int>(), n.at("line").get<int>(),
                            n.at("rule").get<std::string>(), n.at("text").get<std::string>()});
    }
  } catch (const json::exception& e) {
    return Error::Internal(std::string("stored plan cannot be read: ") + e.what());
  }
  return plan;
}

}  // namespace tide::plan
