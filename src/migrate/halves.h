#pragma once
// Which declarative migrations are between their halves: expanded (history row written, the new
// release's views in place) and not yet contracted. That lives in tide's state table, not in
// Flyway's history, so `info`, `contract` and `rollback` ask here.

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "migrate/status.h"
#include "pg/connection.h"
#include "store/state.h"

namespace tide::migrate {

struct HalfState {
  const source::MigrationFile* file = nullptr;
  bool expand_done = false;     // the expand finished (history row success)
  std::optional<store::RunStatus> contract_status;  // nullopt: not started
  int contract_next_step = 0;
  int contract_steps = 0;
};

// Declarative files tide has expanded (finished or not) and whose contract is not done, in
// version order.
Result<std::vector<HalfState>> OpenDeclarative(pg::Connection& conn, const std::string& schema,
                                               const std::vector<MigrationStatus>& statuses);

// The files of those whose expand finished: their contract halves are pending.
std::vector<const source::MigrationFile*> ContractPending(const std::vector<HalfState>& open);

}  // namespace tide::migrate
