#pragma once
// Plans for partitioned tables that plan_alter.cc hands over (the planner's own entry points
// for partitioned tables are members of Planner, in plan_partition.cc too).

#include <functional>
#include <string>

#include "base/error.h"
#include "plan/catalog.h"
#include "plan/step.h"
#include "sql/classify.h"

namespace tide::plan {

// A step of statement c (at its place in the file) on one table: what every per-partition step
// starts from.
Step StepOn(const sql::Classified& c, const std::string& table, const std::string& quoted);

// ADD CONSTRAINT ... UNIQUE on a big partitioned table: PostgreSQL cannot take an index USING
// INDEX there, nor build one concurrently. Each leaf partition gets its unique index built
// concurrently under the name a plain run gives it and its constraint USING INDEX; each
// sub-partitioned level then its constraint (which adopts its partitions', no build); then the
// statement as written, which adopts them all. What tide cannot carry over runs as written.
// PRIMARY KEY likewise; prepare() runs once tide takes that way (before any of its steps),
// to plan what must come first (a PRIMARY KEY's NOT NULL).
Status PlanPartitionedUnique(Catalog& catalog, const sql::Classified& c, const sql::Command& cmd,
                             const std::string& head, const TableFacts& facts, Plan& plan,
                             const std::function<Status()>& prepare);

// ADD FOREIGN KEY on a big partitioned table: PostgreSQL refuses NOT VALID there (up to 17).
// Each leaf partition gets the key NOT VALID then VALIDATE, under the name a plain run gives
// the partitions' keys (the parent's); each sub-partitioned level and then the statement, named
// as PostgreSQL names it, only adopt them.
Status PlanPartitionedForeignKey(Catalog& catalog, const sql::Classified& c,
                                 const sql::Command& cmd, const std::string& head,
                                 const TableFacts& facts, Plan& plan);

}  // namespace tide::plan
