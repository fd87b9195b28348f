#pragma once
// Reading one operation's fields from a YAML map, with the line and column of every value, so
// that a typo, a missing field or a value of the wrong kind is an input error (exit 2) that
// points into the file and says what would be accepted.

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace tide::ops {

// A parsed row expression (`up`, `down`, `check`, a default) and where it is written.
struct Expr {
  std::string text;
  SourceLocation at;
  std::vector<std::string> columns;    // the columns it names, each once, in order of appearance
  std::vector<std::string> functions;  // the functions it calls, unqualified names
};

class Fields {
 public:
  // what: how messages name the map ("add_column", "add_column.column").
  static Result<Fields> Of(const YAML::Node& node, const std::string& file,
                           const std::string& what);

  const std::string& file() const { return file_; }
  const std::string& what() const { return what_; }
  SourceLocation Where() const;                        // the map itself
  SourceLocation Where(const std::string& key) const;  // the key's value (the map if absent)
  bool Has(const std::string& key) const;

  Result<std::string> Text(const std::string& key) const;  // a required, non-empty scalar
  Result<std::optional<std::string>> OptText(const std::string& key) const;
  Result<bool> Flag(const std::string& key, bool fallback) const;
  Result<std::vector<std::string>> Names(const std::string& key) const;  // non-empty list
  Result<Fields> Map(const std::string& key) const;
  Result<std::vector<Fields>> MapList(const std::string& key) const;  // non-empty list of maps
  // A scalar parsed as one SQL expression over a row (see expr.h).
  Result<Expr> Expression(const std::string& key) const;
  Result<std::optional<Expr>> OptExpression(const std::string& key) const;
  // An SQL type name ("bigint", "varchar(255)", "numeric(10,2)[]").
  Result<std::string> Type(const std::string& key) const;

  // An input error at the key's line for the first key not in allowed, naming the allowed ones.
  Status CheckKeys(const std::vector<std::string>& allowed) const;
  // An input error about key (or the map when key is empty), with a hint.
  Error Fail(const std::string& key, const std::string& message, const std::string& hint) const;

 private:
  Fields(YAML::Node node, std::string file, std::string what)
      : node_(std::move(node)), file_(std::move(file)), what_(std::move(what)) {}
  const YAML::Node Get(const std::string& key) const;

  YAML::Node node_;
  std::string file_;
  std::string what_;
};

SourceLocation LocationOf(const YAML::Node& node, const std::string& file);

}  // namespace tide::ops
