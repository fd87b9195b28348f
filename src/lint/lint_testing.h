#pragma once
// For tests: lint SQL text as one migration file, or several files as one folder, in order.

#include <string>
#include <utility>
#include <vector>

#include "lint/linter.h"

namespace tide::lint::testing {

inline std::vector<FileReport> LintFiles(
    const std::vector<std::pair<std::string, std::string>>& files, LintOptions options = {}) {
  Linter linter(options);
  std::vector<FileReport> out;
  for (const auto& [name, text] : files) out.push_back(linter.Lint({name, text}));
  return out;
}

inline FileReport LintSql(const std::string& sql, LintOptions options = {}) {
  return LintFiles({{"V9__test.sql", sql}}, options).front();
}

inline std::vector<Finding> Of(const FileReport& report, std::string_view rule) {
  std::vector<Finding> out;
  for (const auto& f : report.findings) {
    if (f.rule == rule) out.push_back(f);
  }
  return out;
}

inline bool Has(const FileReport& report, std::string_view rule) {
  return !Of(report, rule).empty();
}

// The one finding of rule in report; a failed expectation (and an empty finding) otherwise.
#define TIDE_ONE_FINDING(report, rule)                              \
  [&] {                                                             \
    auto found = ::tide::lint::testing::Of(report, rule);           \
    EXPECT_EQ(found.size(), 1u) << "findings of " << rule;          \
    return found.empty() ? ::tide::lint::Finding() : found.front(); \
  }()

}  // namespace tide::lint::testing
