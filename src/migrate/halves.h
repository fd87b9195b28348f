#pragma once
// Which declarative migrations are between their halves: expanded (history row written, the new
// release's views in place) and not yet contracted. That lives in tide's state table, not in
// Flyway's history, so `info`, `contract` and `rollback` ask here.

#include <string>
#include <vector>

#include "base/error.h"
#include "migrate/status.h"
#include "pg/connection.h"

namespace tide::migrate {

struct HalfState {
  const MigrationFile* file = nullptr;
  bool expand_done = false;     // the expand finished (history row success)
  std::string contract_status;  // "" not started, else running / failed / done
  int contract_next_step = 0;
  int contract_steps = 0;
};

// Declarative files tide has expanded (finished or not) and whose contract is not done, in
// version order.
Result<std::vector<HalfState>> OpenDeclarative(pg::Connection& conn, const std::string& schema,
                                               const std::vector<MigrationStatus>& statuses);

// The files of those whose expand finished: their contract halves are pending.
std::vector<const MigrationFile*> ContractPending(const std::vector<HalfState>& open);

}  // namespace tide::migrate
