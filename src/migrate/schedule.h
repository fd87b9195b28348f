#pragma once
// Which pending migrations a run applies, by phase. `tide expand` applies pending expand (and
// neutral) migrations in version order and stops before the first contract; `tide contract`
// applies the contract migrations at the front of the queue, up to the next expand; `migrate`
// applies everything. Repeatable migrations run with the run that leaves no versioned migration
// pending.

#include <chrono>
#include <string>
#include <vector>

#include "base/error.h"
#include "pg/connection.h"
#include "source/discovery.h"
#include "sql/classify.h"
#include "sql/objects.h"
#include "store/history.h"

namespace tide::migrate {

enum class PhaseFilter { kAll, kExpand, kContract };
const char* PhaseFilterName(PhaseFilter filter);

// A SQL file runs whole. A declarative file runs as two halves: its expand with the expands,
// its contract with the contracts (the same run only when `migrate` runs both phases).
enum class Half { kWhole, kExpand, kContract };

struct Scheduled {
  const source::MigrationFile* file = nullptr;
  sql::Phase phase = sql::Phase::kNeutral;
  Half half = Half::kWhole;
  // Both expand and contract statements (phase is contract): see PhaseInfo.
  bool mixed = false;
  std::string mixed_statements = {};
  std::vector<sql::TableName> contracted_tables = {};
  bool contract() const { return phase == sql::Phase::kContract; }
  // "V2 customers", "V2 customers (contract)"
  std::string Label() const;
};

struct Schedule {
  std::vector<Scheduled> run;  // in order
  std::string stopped_before;  // "V1.2 remove contact info column (contract)", when one waits
  bool has_contract() const;
  // A contract that follows an expand or neutral migration of this same run.
  const Scheduled* ContractAfterExpand() const;
};

// pending: what migrate would run, in order. Every pending file's phase is judged, selected
// or not, with facts (the live catalog's views) and what the pending files before it create: a
// file whose stated phase is contradicted is refused before anything runs. contract_pending:
// declarative files whose expand is applied and whose contract is not; their contract halves
// take their place in version order.
Result<Schedule> MakeSchedule(const std::vector<const source::MigrationFile*>& pending, PhaseFilter filter,
                              const std::vector<const source::MigrationFile*>& contract_pending = {},
                              const sql::PhaseFacts& facts = {});

// Phase facts from the live database: the columns of its views (pg_attribute), so that a view
// dropped and re-created is judged on the columns it really has.
sql::PhaseFacts LiveFacts(pg::Connection& conn);

// Client sessions connected to this database other than tide's own: their presence means an
// application may be running. Each as "pid 123 (customer-api/1.0, from 10.0.0.5)".
Result<std::vector<std::string>> OtherSessions(pg::Connection& conn);

// Refuses (exit 3) a contract when the newest expand before it was applied less than min_age
// ago. history: the table's rows; phases of applied files come from the local files.
Status CheckExpandAge(const Schedule& schedule, const std::vector<source::MigrationFile>& files,
                      const std::vector<store::AppliedMigration>& history, std::chrono::milliseconds min_age,
                      pg::Connection& conn);

}  // namespace tide::migrate
