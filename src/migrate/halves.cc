#include "migrate/halves.h"

#include <map>

#include "store/declarative_state.h"
#include "store/state.h"

namespace tide::migrate {

using source::MigrationFile;
using source::ScriptFormat;

Result<std::vector<HalfState>> OpenDeclarative(pg::Connection& conn, const std::string& schema,
                                               const std::vector<MigrationStatus>& statuses) {
  std::vector<HalfState> out;
  TIDE_ASSIGN(auto states, store::StateTable(schema).LoadAll(conn));
  std::map<std::string, const store::MigrationState*> by_script;
  for (const auto& s : states) by_script[s.script] = &s;
  for (const auto& s : statuses) {
    // An expand that was killed has a state row and no history row yet: it is open too.
    if (!s.file || s.file->format != ScriptFormat::kYaml) continue;
    auto expand = by_script.find(s.script);
    if (expand == by_script.end() || !expand->second->plan.contains("declarative")) continue;
    HalfState h;
    h.file = s.file;
    h.expand_done = s.applied && s.applied->success && expand->second->status == store::RunStatus::kDone;
    auto contract = by_script.find(store::ContractKey(s.script));
    if (contract != by_script.end()) {
      h.contract_status = contract->second->status;
      h.contract_next_step = contract->second->next_step;
      h.contract_steps = contract->second->steps;
    }
    if (h.contract_status != store::RunStatus::kDone) out.push_back(h);
  }
  return out;
}

std::vector<const MigrationFile*> ContractPending(const std::vector<HalfState>& open) {
  std::vector<const MigrationFile*> out;
  for (const auto& h : open) {
    if (h.expand_done) out.push_back(h.file);
  }
  return out;
}

}  // namespace tide::migrate
