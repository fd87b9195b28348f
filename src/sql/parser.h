#pragma once
// libpg_query (PostgreSQL 15 grammar) turned into tide's terms: a script becomes a list of
// statements, each with its exact text, where it starts in the file, and its parse tree as JSON
// (the shapes are in REFERENCE.md: {"AlterTableStmt": {...}}).

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace tide::sql {

struct Statement {
  std::string text;       // the statement as written, comments before it and ';' excluded
  size_t offset = 0;      // byte offset of text in the script
  int line = 1;           // 1-based line of the first character of text
  int column = 1;
  int end_line = 1;       // line of the last character
  int end_column = 1;     // column of the last character
  std::string node_type;  // "AlterTableStmt", "UpdateStmt", ...
  nlohmann::json tree;    // the node's fields: tree == parse["stmts"][i]["stmt"][node_type]
};

// Splits and parses a whole script. A syntax error names file, line and column.
Result<std::vector<Statement>> ParseScript(std::string_view script, const std::string& file_name);

// Parses one SQL expression (a backfill's `up`, a check) by wrapping it in SELECT; returns the
// expression's node.
Result<nlohmann::json> ParseExpression(std::string_view expression);

// A lexical token of the PostgreSQL scanner: [start, end) byte offsets in the scanned text.
struct Token {
  int start = 0;
  int end = 0;
  // The scanner's token name: "IDENT", "SCONST", "INDEX", "ASCII_44" ... (static storage: a
  // string per token made scanning several times slower).
  std::string_view kind;
  bool keyword = false;
};
// The tokens of text, comments included (SQL_COMMENT, C_COMMENT). Fails only on text the
// scanner rejects.
Result<std::vector<Token>> Scan(std::string_view text);

}  // namespace tide::sql
