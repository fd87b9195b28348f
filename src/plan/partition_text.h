#pragma once
// Reading the text of partition statements, for the plans in plan_partition*.cc: where a
// CREATE INDEX's table name ends, the CHECK that a partition bound amounts to, keywords.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sql/classify.h"

namespace tide::plan {

// "1,234 rows", or "rows counted when it runs" when unknown.
std::string RowsText(int64_t rows, bool known);
// What follows the table's name in a CREATE INDEX: " USING btree (v) INCLUDE (w) WHERE ...";
// nullopt when the name cannot be found.
std::optional<std::string> IndexTail(const sql::Classified& c);
// The first occurrence of keyword (lower case) in text outside quotes, as a word, from `from`.
size_t FindKeyword(std::string_view text, std::string_view keyword, size_t from);
// The CHECK that says what PostgreSQL's partition constraint says, for a list or range bound
// over one plain column: "" when tide cannot write it (hash, DEFAULT, several columns).
std::string BoundCheck(std::string_view clause, const std::vector<std::string>& key);

}  // namespace tide::plan
