#pragma once
// The schema objects a statement creates, changes or drops, by kind and name, and the phase of
// each statement judged on them rather than on its text alone:
// - a statement on an object created earlier in the same file, or by an earlier file of the same
//   run, breaks no running release (none uses the object yet): it is neutral;
// - dropping an object and creating one of the same kind and name later in the same file is a
//   replacement, judged on what the new definition removes: a view that loses a column is a
//   contract, one that keeps every column an expand; a function, trigger or type re-created
//   under the same name (and, for a function, the same argument types) is neutral.
// Pure: what the database knows (an existing view's columns) comes in through PhaseFacts.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sql/classify.h"

namespace tide::sql {

enum class ObjectKind { kRelation, kFunction, kType, kTrigger, kSchema };

struct ObjectRef {
  ObjectKind kind = ObjectKind::kRelation;
  TableName name;
  TableName on;  // a trigger's table
  // Relations: "table", "view", "materialized view", "index", "sequence" ("" when unknown).
  std::string relkind;
  // Functions: argument types (IN, INOUT, VARIADIC); args_known false for "DROP FUNCTION f".
  std::vector<std::string> args;
  bool args_known = false;

  // Same kind and name; a name without schema matches any schema, as the planner matches.
  bool Matches(const ObjectRef& other) const;
  std::string Display() const;  // "view s.v", "function f(int4)"
};

// The objects c creates: CREATE ..., and the new name of a RENAME.
std::vector<ObjectRef> CreatedBy(const Classified& c);
// The objects c changes or drops; empty when it names none (SELECT, SET, a DO block).
std::vector<ObjectRef> ActsOn(const Classified& c);
// The output columns of a CREATE [MATERIALIZED] VIEW, in order; nullopt when the text cannot
// tell them (SELECT *, t.*).
std::optional<std::vector<std::string>> ViewColumns(const Classified& c);

// What an existing view looks like, from the live catalog or an earlier file.
struct ViewShape {
  bool exists = true;
  std::optional<std::vector<std::string>> columns;  // nullopt: defined with SELECT *
  std::string source;                               // "the database", "V3__views.sql"
};

// What a file's phase depends on beyond its own text.
struct PhaseFacts {
  // Objects created by earlier files of this run: statements on them are neutral.
  std::vector<ObjectRef> created_earlier;
  // An existing view's shape; nullopt when nothing is known of it (no database, no file).
  std::function<std::optional<ViewShape>(const TableName&)> view;
};

// Judges the phase of each statement (Classified::phase, on_new_object, phase_note) and of the
// script (phase, mixed_phase) from the statements' text phases and facts. ClassifyScript calls
// it with no facts; callers that know more judge again. created_new, when given, receives the
// objects the file creates that surely did not exist before it (not re-created after a drop,
// not CREATE OR REPLACE or IF NOT EXISTS): the files after it in a run may treat them as new.
void JudgePhases(ClassifiedScript& script, const PhaseFacts& facts,
                 std::vector<ObjectRef>* created_new = nullptr);

}  // namespace tide::sql
