#pragma once
// Token-level surgery on the text of one statement: splitting an ALTER TABLE into its clauses,
// adding CONCURRENTLY or NOT VALID, cutting an UPDATE at its WHERE. Working on the scanner's
// tokens means strings, comments, quoted names and dollar quotes never confuse it, and what is
// not rewritten keeps the user's exact spelling.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace tide::sql {

struct AlterTableText {
  std::string head;                  // "ALTER TABLE IF EXISTS ONLY public.customers"
  std::vector<std::string> clauses;  // "ADD COLUMN email varchar(255)", ...
  // The statement made of one clause.
  std::string Statement(size_t i) const { return head + " " + clauses[i]; }
};
Result<AlterTableText> SplitAlterTable(std::string_view statement);
// The same for an ALTER TABLE of one clause, without the scanner (which was most of the
// classifier's time): the relation's name starts at name_offset (its location in the parse
// tree) and the clause is everything after the name. nullopt when the text there is not a plain
// or quoted, possibly qualified, name; the caller then uses SplitAlterTable.
std::optional<AlterTableText> SplitOneClauseAlterTable(std::string_view statement,
                                                       size_t name_offset);

// CREATE [UNIQUE] INDEX / DROP INDEX / REINDEX with CONCURRENTLY added (unchanged if present).
Result<std::string> AddConcurrently(std::string_view statement);

struct DmlText {
  std::string head;   // "UPDATE customers SET email = ..." (everything before WHERE)
  std::string where;  // the condition, without the WHERE keyword; empty when none
  std::string tail;   // "RETURNING ..." or empty
  // head + " WHERE (" + where + ") AND (" + extra + ")" (or just extra when there is no WHERE).
  std::string WithCondition(const std::string& extra) const;
};
Result<DmlText> SplitDml(std::string_view statement);

}  // namespace tide::sql
