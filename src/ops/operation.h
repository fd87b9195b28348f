#pragma once
// A declarative operation (add_column, rename_column, ...) plans three lists of plan::Step:
// expand (what the new release needs, with the old release unharmed), contract (what breaks the
// old release: drops, renames into place, VALIDATE, SET NOT NULL) and rollback (undo an expand
// that was not contracted, even a half-applied one: every step tolerates what is missing).
// Planning takes no connection: the facts come from a plan::Catalog (a FakeCatalog in unit
// tests), so every operation's plan is tested without a database.
//
// Operations run one after the other on the shapes of ops/shape.h; what spans operations (one
// sync trigger and one backfill per table, the views, renames into place) is added once by
// ops/declarative.cc after every operation has planned.

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "ops/fields.h"
#include "ops/shape.h"
#include "plan/catalog.h"
#include "plan/step.h"

namespace tide::ops {

// When a step runs within its list; steps of one stage keep the order of their operations (in
// the rollback list: the reverse order, stages reversed too).
enum class Stage {
  kStructure,    // expand: tables, columns. contract: SET NOT NULL, drops, renames into place
  kSync,         // expand: the sync trigger. contract: its removal
  kViews,        // expand: the views schema. contract: its removal
  kBackfill,     // expand: new columns filled in batches
  kConstraints,  // expand: NOT VALID. contract: VALIDATE (before kStructure)
  kIndexes,      // expand: concurrent builds
  kPrepare,      // expand, first: what takes no table lock (the sync function)
};

struct StagedStep {
  Stage stage;
  plan::Step step;
};

struct StepLists {
  std::vector<StagedStep> expand, contract, rollback;
};

struct OpContext {
  OpContext(plan::Catalog& catalog, std::string schema, std::string file)
      : catalog(catalog), schema(std::move(schema)), file(std::move(file)) {}

  plan::Catalog& catalog;
  std::string schema;  // the base schema
  std::string file;    // for messages
  std::deque<TableShape>
      tables;        // every table touched so far, in order of first touch (stable addresses)
  int op_index = 0;  // the operation planning now

  // The table the new release calls name, after the operations so far. Input error at where when
  // there is none (naming what there is).
  Result<TableShape*> Table(const std::string& name, const SourceLocation& where);
  // Whether a table of that name exists (as the new release sees the schema so far).
  Result<bool> TableExists(const std::string& name);
  // A column of t's new shape, or an input error at where naming the columns there are.
  Result<ShapeColumn*> Column(TableShape& t, const std::string& name, const SourceLocation& where);
  // "schema"."physical"
  std::string Qualified(const TableShape& t) const;
  std::string Qualified(const std::string& table) const;
};

class Operation {
 public:
  virtual ~Operation() = default;
  virtual const char* kind() const = 0;
  // Applies the operation to ctx's shapes and returns its steps.
  virtual Result<StepLists> Plan(OpContext& ctx) const = 0;

  SourceLocation at;  // where the operation starts in its file
};

using OperationList = std::vector<std::unique_ptr<Operation>>;

// Step builders. A step of a declarative file carries the operation's line (errors point there)
// and a `why`, so that the executor never reads a server error position as one in the file.
plan::Step Ddl(const OpContext& ctx, const TableShape& t, const std::string& sql, sql::Lock lock,
               const SourceLocation& at, const std::string& why);
// Step with no table lock to watch (CREATE FUNCTION, CREATE SCHEMA, ...).
plan::Step Plain(const std::string& sql, const SourceLocation& at, const std::string& why);

}  // namespace tide::ops
