#pragma once
// libpg_query (PostgreSQL 15 grammar) turned into tide's terms: a script becomes a list of
// statements, each with its exact text, where it starts in the file, and its parse tree as JSON
// (the shapes are in REFERENCE.md: {"AlterTableStmt": {...}}).

#include <functional>
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
  // The offset in the script that the tree's "location" fields count from (the script is
  // parsed in pieces): a location's offset in the script is tree_base + location.
  size_t tree_base = 0;
};

// Splits and parses a whole script. A syntax error names file, line and column.
Result<std::vector<Statement>> ParseScript(std::string_view script, const std::string& file_name);
// The same, one statement at a time, in order, in time and memory linear in the script's size:
// each receives the statement and its tree to keep or drop; an error it returns stops the walk.
// Statements before a syntax error may have been handed over already. libpg_query parses the
// script in pieces of about piece_bytes, cut where statements end (sql/splitter.h): big enough
// that its cost per call vanishes, small enough that a piece's JSON and trees stay a few MB.
inline constexpr size_t kParsePieceBytes = 256 * 1024;
using StatementSink = std::function<Status(Statement&&)>;
Status ForEachStatement(std::string_view script, const std::string& file_name,
                        const StatementSink& each, size_t piece_bytes = kParsePieceBytes);

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
