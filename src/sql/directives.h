#pragma once
// tide's comments in migration files:
//   -- tide:phase expand|contract           (before the first statement) states the phase
//   -- tide:allow <rule> <reason>           on the line(s) just before a statement: take that risk
//   -- tide:allow-file <rule> <reason>      anywhere: take that risk for the whole file
// A rule id is what lint and refusals print (e.g. rewrite-column-type); "all" matches every rule.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sql/parser.h"

namespace tide::sql {

struct Allow {
  std::string rule;
  std::string reason;  // empty is itself a finding: an allow must say why
  int line = 0;
  bool whole_file = false;
};

struct Directives {
  std::optional<std::string> phase;  // "expand" or "contract" as written
  int phase_line = 0;
  std::vector<Allow> file_allows;
  std::vector<std::vector<Allow>> statement_allows;  // one list per statement, same order
  // Directive comments tide could not read ("-- tide:alow ..."): line and text.
  std::vector<std::pair<int, std::string>> unknown;

  // The allow that covers rule for statement i, if any.
  const Allow* Find(size_t statement, std::string_view rule) const;
};

Directives ParseDirectives(std::string_view script, const std::vector<Statement>& statements);

}  // namespace tide::sql
