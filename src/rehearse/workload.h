#pragma once
// A workload script in pgbench's syntax: what one release of the application sends per request.
// One run of the whole script is one request (pgbench's "transaction").
//
// Supported, with pgbench's rules:
//   - SQL commands, ending with ';' outside quotes, comments and parentheses; a command may span
//     lines; the last one may omit its ';'. `\;` joins commands into one request to the server.
//   - `-- comments` (dropped) and `/* block comments */` (sent as written).
//   - `\set name expression` (see expr.h) and `\sleep N [us|ms|s]` (N an integer or :variable),
//     each on its own line; a trailing backslash continues a line.
//   - `:name` in SQL is replaced by the variable's value as text before sending (simple
//     protocol), everywhere in the text as pgbench does; `::type` casts stay as they are, and a
//     name that is no variable stays as written.
//   - variables given from outside (pgbench -D name=value), and the built-ins client_id,
//     default_seed and random_seed.
// Not supported, each refused with Error::Input at file:line:column: \gset, \aset, \if, \elif,
// \else, \endif, \shell, \setshell, \startpipeline, \syncpipeline, \endpipeline, any unknown
// backslash command, unknown functions (and permute), a variable read by an expression that
// nothing defines, and malformed expressions, sleeps and quotes.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "rehearse/expr.h"

namespace tide::rehearse {

// Variables given from outside, as text: {"rows", "2000000"}.
using VariableMap = std::map<std::string, std::string>;

// A piece of an SQL command: literal text, or a variable to put in its place.
struct SqlPiece {
  std::string text;  // the literal, or ":name" as written (sent as is while the slot is unset)
  int slot = -1;     // >= 0: a variable
};

struct Command {
  enum class Kind { kSql, kSet, kSleep };
  Kind kind = Kind::kSql;
  int line = 0;  // 1-based line where the command starts
  // kSql: the text as written (for messages) and its pieces.
  std::string sql;
  std::vector<SqlPiece> pieces;
  // kSet: the target slot and the expression.
  int slot = -1;
  Expr expr;
  // kSleep: a constant amount or a variable, times the unit in microseconds.
  int64_t sleep_amount = 0;
  int sleep_slot = -1;
  int64_t sleep_unit_us = 1'000'000;
};

class Workload {
 public:
  // Reads and parses a script file. `vars` are the variables given from outside.
  static Result<std::shared_ptr<const Workload>> Load(const std::filesystem::path& path,
                                                      const VariableMap& vars = {});
  // Parses script text; `source` names it in errors (usually the file path).
  static Result<std::shared_ptr<const Workload>> Parse(std::string_view text, std::string source,
                                                       const VariableMap& vars = {});

  const std::string& source() const { return source_; }
  const std::vector<Command>& commands() const { return commands_; }
  int sql_command_count() const;
  // Every variable's name, by slot.
  const std::vector<std::string>& variable_names() const { return names_; }
  int SlotOf(std::string_view name) const;  // -1 when unknown

  // The variables a client starts with: the given ones and the built-ins.
  Variables InitialVariables(int client_id, uint64_t random_seed, uint64_t default_seed) const;
  // The text of a given variable exactly as given (pgbench sends "007" as 007, not 7).
  const std::string* GivenText(int slot) const;

 private:
  friend class ScriptParser;
  Workload() = default;

  std::string source_;
  std::vector<Command> commands_;
  std::vector<std::string> names_;
  std::vector<std::optional<Value>> given_values_;  // by slot; nullopt: not given or not a number
  std::vector<std::optional<std::string>> given_text_;  // by slot
};

}  // namespace tide::rehearse
