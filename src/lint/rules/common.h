#pragma once
// Small helpers the rules share: which table a statement touches, how to name a lock.

#include <string>

#include "lint/rule.h"

namespace tide::lint::rules {

// The table existed before this file: not created earlier in it (lock rules exempt new tables,
// as the planner does).
inline bool Existing(const FileContext& file, const sql::Classified& c,
                     const sql::TableName& table) {
  return table.empty() || !file.IsNewTable(table, c.index);
}

// "ACCESS EXCLUSIVE (blocks reads and writes)".
inline std::string LockPhrase(sql::Lock lock) {
  return std::string(sql::LockName(lock)) + " (" + sql::LockEffect(lock) + ")";
}

// A whole-table UPDATE or DELETE: no key condition picks a few rows, as the planner judges it.
inline bool WholeTableDml(const sql::Classified& c) {
  return (c.action == sql::Action::kUpdate || c.action == sql::Action::kDelete) && c.dml &&
         c.dml->equality_columns.empty() && !c.dml->where_current_of;
}

}  // namespace tide::lint::rules
