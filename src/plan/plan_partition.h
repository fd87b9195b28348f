#pragma once
// Plans for partitioned tables that plan_alter.cc hands over (the planner's own entry points
// for partitioned tables are members of Planner, in plan_partition.cc too).

#include <string>

#include "base/error.h"
#include "plan/catalog.h"
#include "plan/step.h"
#include "sql/classify.h"

namespace tide::plan {

// ADD CONSTRAINT ... UNIQUE on a big partitioned table: PostgreSQL cannot take an index USING
// INDEX there, nor build one concurrently. Each leaf partition gets its unique index built
// concurrently under the name a plain run gives it and its constraint USING INDEX; each
// sub-partitioned level then its constraint (which adopts its partitions', no build); then the
// statement as written, which adopts them all. What tide cannot carry over runs as written.
Status PlanPartitionedUnique(Catalog& catalog, const sql::Classified& c, const sql::Command& cmd,
                             const std::string& head, const TableFacts& facts, Plan& plan);

}  // namespace tide::plan
