#pragma once
// Expressions over one row of a table, as declarative migrations write them (`up`, `down`,
// `check`, defaults): parsed with PostgreSQL's own grammar (libpg_query), and rewritten so that
// each column the expression names becomes what the caller needs: `NEW."col"` in a trigger, the
// physical column of a renamed or replaced one, `p."col"` in a probe query.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace tide::ops {

struct RowExpression {
  std::vector<std::string> columns;    // each once, in order of appearance
  std::vector<std::string> functions;  // unqualified names of the functions called
};

// Parses text as a single expression over the columns of one row. Refused (input error): a
// syntax error, more than one expression, a subquery (its columns would be another table's), a
// qualified column (`t.col`) or `*`.
Result<RowExpression> ParseRowExpression(const std::string& text);

// text with every column reference replaced by replace(name); replace returns nullopt for a name
// it does not know, which is an input error naming the column.
Result<std::string> RewriteColumns(
    const std::string& text,
    const std::function<std::optional<std::string>(const std::string&)>& replace);

}  // namespace tide::ops
