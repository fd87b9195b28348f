#pragma once
// Declarative migrations, `V<version>__<description>.yaml` (DESIGN section 7):
//
//   operations:
//     - add_column:  {table: customers, column: {name: email, type: text, nullable: false},
//                     up: "lower(replace(name, ' ', '.')) || '@legacy.example.com'"}
//     - drop_column: {table: customers, column: contact_info, down: "email"}
//
// LoadMigration reads and checks a file on its own (exit 2 with file:line and the fix for an
// unknown operation or field, a missing field, an expression or type that does not parse);
// PlanMigration checks it against the catalog and plans the three step lists, as plain
// plan::Plan data that the executor runs, stores and resumes like any other plan.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "ops/operation.h"
#include "ops/sync.h"
#include "plan/catalog.h"
#include "plan/step.h"

namespace tide::ops {

struct Migration {
  std::string file;
  OperationList operations;
};

Result<Migration> LoadMigration(std::string_view text, const std::string& file);

struct PlanOptions {
  std::string schema;   // the base schema (the session's)
  std::string version;  // the file's version: "2", "1.1"
};

struct DeclarativePlan {
  plan::Plan expand, contract, rollback;
  std::vector<Probe> probes;  // run (and must succeed) before the expand starts
  std::string views_schema;   // "" when no table needed a view
  std::string search_path;    // what the new release sets
  std::vector<std::string> created_tables;

  // What the executor stores beside the expand plan, to run the other two lists later
  // exactly as planned (the catalog changes under them).
  nlohmann::json HalvesToJson() const;
  static Result<DeclarativePlan> HalvesFromJson(const nlohmann::json& doc);
};

Result<DeclarativePlan> PlanMigration(const Migration& migration, plan::Catalog& catalog,
                                      const PlanOptions& options);

}  // namespace tide::ops
