#pragma once
// The shapes of a drift check's result: grouped text for people, JSON for scripts, SARIF 2.1.0
// for code-scanning upload (as `tide lint --format sarif`).

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "drift/diff.h"

namespace tide::drift {

struct DriftReport {
  std::string database;  // the target, password removed
  std::string history;   // what was replayed: "V1 .. V1.2 (3 files)"
  std::string scratch;   // where: "a throwaway PostgreSQL" or the scratch server, redacted
  std::vector<std::string> warnings;
  std::vector<Finding> findings;
  size_t history_objects = 0;
  size_t database_objects = 0;
  double replay_seconds = 0;
  double compare_seconds = 0;           // reading both catalogs and comparing
  std::string artifact = "migrations";  // the SARIF location of findings: the migrations folder
};

std::string TextReport(const DriftReport& report);
nlohmann::ordered_json JsonReport(const DriftReport& report);
nlohmann::ordered_json SarifReport(const DriftReport& report);

}  // namespace tide::drift
