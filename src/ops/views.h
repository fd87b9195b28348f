#pragma once
// The new release's window on the new shape: a schema `<schema>_v<version>` holding, for every
// table whose shape the migration changes, a simple view over the base table (new and renamed
// columns under their new names, dropped ones left out). PostgreSQL updates simple views
// itself, so the new release's INSERT, UPDATE and DELETE go to the base table and fire the sync
// trigger. Tables the migration does not reshape get no view: with search_path
// `<schema>_v<version>, <schema>` the new release reaches them directly, at full speed.
// The views keep working through the contract (they name columns by position, not by name, so
// the drops and renames do not break them); the contract's last step drops the schema, and the
// same search_path then finds the base tables, which have the new shape by then.

#include <string>
#include <vector>

#include "ops/operation.h"

namespace tide::ops {

// "public_v2" for schema public, version 2 ("1.1" -> "public_v1_1").
std::string ViewsSchemaName(const std::string& schema, const std::string& version);
// What the new release sets: `public_v2, public` (identifiers quoted only when they must be).
std::string NewReleaseSearchPath(const std::string& schema, const std::string& version);
// A schema name as search_path takes it: quoted only when it must be.
std::string SearchPathPart(const std::string& schema);

struct ViewsPlan {
  std::vector<StagedStep> expand, contract, rollback;
};

// Empty when no table's shape changes.
ViewsPlan PlanViews(const OpContext& ctx, const std::string& views_schema);

}  // namespace tide::ops
