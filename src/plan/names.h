#pragma once
// PostgreSQL's rules for the names it invents (makeObjectName / ChooseRelationName in
// src/backend/commands/indexcmds.c): tide builds an index for ADD UNIQUE / ADD PRIMARY KEY
// itself, and the result must carry the very name a plain run would have given it.

#include <functional>
#include <string>
#include <vector>

#include "base/error.h"

namespace tide::plan {

// name1_name2_label cut to 63 bytes, trimming the longer of name1/name2 first.
std::string MakeObjectName(const std::string& name1, const std::string& name2,
                           const std::string& label);

// The first of name1_name2_label, name1_name2_label1, ... for which taken() is false.
Result<std::string> ChooseName(const std::string& name1, const std::string& name2,
                               const std::string& label,
                               const std::function<Result<bool>(const std::string&)>& taken);

// The name PostgreSQL gives the index of an unnamed UNIQUE (label "key") or PRIMARY KEY
// ("pkey") constraint on table over columns.
Result<std::string> ConstraintIndexName(const std::string& table,
                                        const std::vector<std::string>& columns, bool primary,
                                        const std::function<Result<bool>(const std::string&)>& taken);

// The name PostgreSQL gives an unnamed CREATE INDEX on table (ChooseIndexName): table, the
// index's column names (sql::Command::index_column_names) and "idx". A partitioned table's
// partitions get theirs by the same rule when CREATE INDEX recurses into them.
Result<std::string> IndexName(const std::string& table, const std::vector<std::string>& columns,
                              const std::function<Result<bool>(const std::string&)>& taken);

// A short, stable name for tide's temporary check that a partition's rows fit its bound:
// tide_pb_<partition>_<hash>.
std::string TemporaryBoundCheckName(const std::string& partition);

// A short, stable name for tide's temporary NOT NULL check: tide_nn_<column>_<hash>.
std::string TemporaryCheckName(const std::string& table, const std::string& column);

}  // namespace tide::plan
