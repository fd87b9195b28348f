#pragma once
// The phase of a migration: expand (additive, the old release keeps working), contract (drops,
// renames, narrows or tightens: it breaks the old release), or neutral (data and indexes only;
// it runs with the expands). Judged on what each statement touches (sql/objects.h): statements
// on objects created earlier in the file or run are neutral, and a view, function, trigger or
// type dropped and re-created is judged on what its new definition removes. A header comment
// `-- tide:phase expand|contract` may state it. A file whose stated phase its statements
// contradict is refused. A file that still both expands and contracts is "mixed": it is
// scheduled as a contract, and runs only where it can break no running release
// (CheckMixedFiles in migrator.cc weighs the real database).

#include <string>
#include <vector>

#include "base/error.h"
#include "source/discovery.h"
#include "sql/classify.h"
#include "sql/objects.h"

namespace tide::migrate {

struct PhaseInfo {
  sql::Phase phase = sql::Phase::kNeutral;
  bool stated = false;  // from a tide:phase comment
  bool mixed = false;   // expand and contract statements, no stated phase: phase is contract
  // Mixed: "\n  expand (...):\n    line 1: ...\n  contract (...):\n    line 2: ...".
  std::string statements;
  // The tables its contract statements change (not views, functions or types).
  std::vector<sql::TableName> contracted_tables;
  // What the file creates new (set by PhaseOf): statements of later files of the same run on
  // them are neutral.
  std::vector<sql::ObjectRef> created;
};

// The phase of a classified SQL file whose phases are judged. Input error (exit 2) for a
// stated phase its statements contradict, naming them.
Result<PhaseInfo> PhaseOfScript(const sql::ClassifiedScript& script, const std::string& file);

// Classifies file.SqlText(), judges it with facts, and returns its phase.
Result<PhaseInfo> PhaseOf(const source::MigrationFile& file, const sql::PhaseFacts& facts = {});

// "expand" for neutral files too: they run with the expands.
const char* ScheduleName(sql::Phase phase);

}  // namespace tide::migrate
