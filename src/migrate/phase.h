#pragma once
// The phase of a migration: expand (additive, the old release keeps working), contract (drops,
// renames, narrows or tightens: it breaks the old release), or neutral (data and indexes only;
// it runs with the expands). Inferred from the classified statements; a header comment
// `-- tide:phase expand|contract` may state it. A file with both expand and contract
// statements, or whose stated phase its statements contradict, is refused: the seed's first
// gotcha, "never combine them".

#include <string>

#include "base/error.h"
#include "migrate/discovery.h"
#include "sql/classify.h"

namespace tide::migrate {

struct PhaseInfo {
  sql::Phase phase = sql::Phase::kNeutral;
  bool stated = false;  // from a tide:phase comment
};

// The phase of a classified SQL file. Input error (exit 2) for a mixed file or a contradiction,
// naming the statements of each kind.
Result<PhaseInfo> PhaseOfScript(const sql::ClassifiedScript& script, const std::string& file);

// Classifies file.SqlText() and returns its phase.
Result<PhaseInfo> PhaseOf(const MigrationFile& file);

// "expand" for neutral files too: they run with the expands.
const char* ScheduleName(sql::Phase phase);

}  // namespace tide::migrate
