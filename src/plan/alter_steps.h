#pragma once
// The steps that plan_alter.cc and plan_inline.cc both build for an ALTER TABLE's clauses.

#include <string>

#include "plan/catalog.h"
#include "plan/step.h"
#include "sql/classify.h"

namespace tide::plan {

// "1,234 rows", or that they are counted when it runs (offline).
std::string RowsOf(const TableFacts& f);
// One clause of c as its own step on the table (and the table it references).
Step ClauseStep(const sql::Classified& c, const sql::Command& cmd, const std::string& sql,
                const TableFacts& facts);
// The VALIDATE after the NOT VALID constraint that step add_index adds: by name, or, for an
// unnamed one, by the name PostgreSQL gave it (read when the add ran).
Step ValidateStep(const sql::Classified& c, const sql::Command& cmd, const TableFacts& facts,
                  int add_index, const std::string& name);
// The VALIDATE of the named constraint that step add (a NOT VALID add) puts on quoted_table, in
// a transaction of its own, under SHARE UPDATE EXCLUSIVE.
Step ValidateAfter(const Step& add, const std::string& quoted_table, const std::string& name,
                   int64_t rows, std::string why);

}  // namespace tide::plan
