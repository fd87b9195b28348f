// ALTER TABLE on a big table, clause by clause: what can be made safe is rewritten, what cannot
// is refused with its recipe, the rest runs as written under a short lock timeout.
#include <fmt/format.h>

#include <algorithm>

#include "base/strings.h"
#include "plan/alter_steps.h"
#include "plan/names.h"
#include "plan/plan_partition.h"
#include "plan/planner.h"
#include "sql/sql_text.h"

namespace tide::plan {

using sql::Action;
using sql::ConstraintType;

std::string RowsOf(const TableFacts& f) {
  if (!f.known) return "rows counted when it runs";
  return fmt::format("{} rows", FormatCount(std::max<int64_t>(f.rows, 0)));
}

namespace {

bool NeedsOwnPlan(const sql::Command& cmd, const TableFacts& facts) {
  switch (cmd.action) {
    case Action::kSetNotNull: {
      const ColumnFacts* col = facts.Column(cmd.column);
      return !(col && col->not_null);
    }
    case Action::kAddConstraint:
      if (cmd.constraint == ConstraintType::kForeignKey ||
          cmd.constraint == ConstraintType::kCheck) {
        return !cmd.not_valid;
      }
      return !cmd.using_index;
    case Action::kValidateConstraint:
    case Action::kSetTablespace:
    case Action::kSetLogged:
    case Action::kSetAccessMethod:
      return true;
    case Action::kAddColumn:
      // An inline CHECK or UNIQUE scans (or builds an index) under the ADD COLUMN's lock; an
      // inline REFERENCES does when a default gives the rows values to check.
      return cmd.rewrites || !cmd.default_functions.empty() ||
             cmd.constraint == ConstraintType::kCheck ||
             cmd.constraint == ConstraintType::kUnique ||
             (cmd.constraint == ConstraintType::kForeignKey && cmd.has_default);
    case Action::kAlterColumnType:
      return true;
    default:
      return false;
  }
}

}  // namespace

Step ClauseStep(const sql::Classified& c, const sql::Command& cmd, const std::string& sql,
                const TableFacts& facts) {
  Step s = AsWritten(c, sql);
  s.lock = cmd.lock;
  s.lock_tables = {facts.quoted};
  if (!cmd.referenced.empty()) s.lock_tables.push_back(cmd.referenced.Quoted());
  s.estimated_rows = facts.rows;
  return s;
}

Step ValidateAfter(const Step& add, const std::string& quoted_table, const std::string& name,
                   int64_t rows, std::string why) {
  Step validate = add;
  validate.kind = StepKind::kValidateConstraint;
  validate.sql =
      fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {}", quoted_table, QuoteIdent(name));
  validate.lock = sql::Lock::kShareUpdateExclusive;
  validate.own_transaction = true;
  validate.new_transaction = false;
  validate.estimated_rows = rows;
  validate.why = std::move(why);
  return validate;
}

Step ValidateStep(const sql::Classified& c, const sql::Command& cmd, const TableFacts& facts,
                  int add_index, const std::string& name) {
  Step validate = ClauseStep(c, cmd, "", facts);
  validate.kind = StepKind::kValidateConstraint;
  validate.lock = sql::Lock::kShareUpdateExclusive;
  validate.own_transaction = true;
  validate.object_name = name;
  if (name.empty()) {
    validate.constraint_from_step = add_index;
    validate.sql = fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT <the name PostgreSQL gives it>",
                               facts.quoted);
  } else {
    validate.sql =
        fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {}", facts.quoted, QuoteIdent(name));
  }
  validate.why = "checks the existing rows without blocking reads or writes";
  return validate;
}


Status Planner::PlanAlterTable(FileContext& ctx, const sql::Classified& c, const TableFacts& facts,
                               Plan& plan) {
  bool split = false;
  for (const auto& cmd : c.commands) split = split || NeedsOwnPlan(cmd, facts);
  if (!split) {
    Step s = AsWritten(c, c.statement->text);
    s.estimated_rows = facts.rows;
    plan.steps.push_back(std::move(s));
    return Ok();
  }
  TIDE_ASSIGN(auto parts, sql::AlterTableClauses(c));
  if (parts.clauses.size() != c.commands.size()) {
    return Error::Internal(fmt::format("line {}: cannot split this ALTER TABLE into clauses",
                                       c.line()));
  }
  if (parts.clauses.size() > 1) {
    plan.notes.push_back({static_cast<int>(c.index), c.line(), "split-alter-table",
                          "the ALTER TABLE runs clause by clause so each gets its safe form"});
  }
  for (size_t i = 0; i < parts.clauses.size(); ++i) {
    TIDE_TRY(PlanClause(ctx, c, c.commands[i], parts.Statement(i), facts, plan));
  }
  return Ok();
}

// One case per kind of clause; what runs as written falls through to the clause as a step.
Status Planner::PlanClause(FileContext& ctx, const sql::Classified& c, const sql::Command& cmd,
                           const std::string& clause_sql, const TableFacts& facts, Plan& plan) {
  switch (cmd.action) {
    case Action::kAddColumn:
      return PlanAddColumnClause(ctx, c, cmd, clause_sql, facts, plan);
    case Action::kAlterColumnType: {
      TIDE_ASSIGN(bool planned, PlanTypeChange(ctx, c, cmd, clause_sql, facts, plan));
      if (planned) return Ok();
      break;
    }
    case Action::kSetNotNull: {
      const ColumnFacts* col = facts.Column(cmd.column);
      if (col && col->not_null) break;
      return PlanSetNotNull(ctx, c, cmd.column, facts, plan);
    }
    case Action::kAddConstraint: {
      TIDE_ASSIGN(bool planned, PlanAddConstraintClause(ctx, c, cmd, clause_sql, facts, plan));
      if (planned) return Ok();
      break;
    }
    case Action::kValidateConstraint:
      PlanValidateClause(ctx, c, cmd, clause_sql, facts, plan);
      return Ok();
    case Action::kSetTablespace:
    case Action::kSetLogged:
    case Action::kSetAccessMethod:
      RefuseOrAllow(ctx, c, "rewrite-table",
                    fmt::format("this rewrites {} ({}) under ACCESS EXCLUSIVE: reads and writes "
                                "stop until it ends",
                                c.table.Display(), RowsOf(facts)),
                    "do it in a maintenance window, or with pg_repack",
                    ClauseStep(c, cmd, clause_sql, facts), plan);
      return Ok();
    default:
      break;
  }
  plan.steps.push_back(ClauseStep(c, cmd, clause_sql, facts));
  return Ok();
}

Status Planner::PlanAddColumnClause(FileContext& ctx, const sql::Classified& c,
                                    const sql::Command& cmd, const std::string& clause_sql,
                                    const TableFacts& facts, Plan& plan) {
  bool rewrites = cmd.rewrites;
  std::string volatile_fn;
  for (const auto& f : cmd.default_functions) {
    TIDE_ASSIGN(auto v, catalog_.FunctionIsVolatile(f));
    if ((v && *v) || (!v && sql::IsKnownVolatileFunction(f))) {
      rewrites = true;
      volatile_fn = f;
    }
  }
  if (!rewrites) return PlanInlineConstraints(ctx, c, cmd, clause_sql, facts, plan);
  std::string rule = cmd.generated_stored ? "generated-stored"
                     : cmd.identity       ? "identity-column"
                                          : "volatile-default";
  std::string what = cmd.generated_stored ? "a STORED generated column"
                     : cmd.identity       ? "an identity column"
                     : volatile_fn.empty()
                         ? std::string("a serial column (its default calls nextval())")
                         : fmt::format("a default that calls the volatile {}()", volatile_fn);
  RefuseOrAllow(ctx, c, rule,
                fmt::format("adding {} to {} fills every existing row: the table ({}) is "
                            "rewritten under ACCESS EXCLUSIVE, blocking reads and writes",
                            what, c.table.Display(), RowsOf(facts)),
                "add the column without the default (or with a constant default), set the "
                "default in a second statement (ALTER COLUMN SET DEFAULT applies to new rows "
                "only), then backfill existing rows with an UPDATE, which tide batches",
                ClauseStep(c, cmd, clause_sql, facts), plan);
  return Ok();
}

Result<bool> Planner::PlanTypeChange(FileContext& ctx, const sql::Classified& c,
                                     const sql::Command& cmd, const std::string& clause_sql,
                                     const TableFacts& facts, Plan& plan) {
  const ColumnFacts* col = facts.Column(cmd.column);
  std::optional<sql::ColumnType> from;
  if (col) from = col->type;
  sql::TypeChange change = sql::ClassifyTypeChange(from, *cmd.type, cmd.has_using);
  if (change == sql::TypeChange::kNoRewrite) return false;
  if (change == sql::TypeChange::kUnknown) {
    plan.notes.push_back({static_cast<int>(c.index), c.line(), "rewrite-column-type",
                          "tide reads the column's current type when it runs: a change that "
                          "rewrites the table is refused then"});
    return false;
  }
  RefuseOrAllow(ctx, c, "rewrite-column-type",
                fmt::format("changing {}.{} from {} to {}{} rewrites the table ({}) and its "
                            "indexes under ACCESS EXCLUSIVE: reads and writes stop until it "
                            "ends",
                            c.table.Display(), cmd.column, from ? from->ToString() : "?",
                            cmd.type->ToString(), cmd.has_using ? " with USING" : "",
                            RowsOf(facts)),
                "add a new column of the new type, backfill it (tide batches the UPDATE), "
                "keep it in sync with a trigger, then swap the columns in a contract "
                "migration; a declarative change_type migration does all of this for you",
                ClauseStep(c, cmd, clause_sql, facts), plan);
  return true;
}

Result<bool> Planner::PlanAddConstraintClause(FileContext& ctx, const sql::Classified& c,
                                              const sql::Command& cmd,
                                              const std::string& clause_sql,
                                              const TableFacts& facts, Plan& plan) {
  if (cmd.constraint == ConstraintType::kUnique ||
      cmd.constraint == ConstraintType::kPrimaryKey) {
    if (cmd.using_index) return false;
    TIDE_ASSIGN(auto parts, sql::AlterTableClauses(c));
    TIDE_TRY(PlanUniqueConstraint(ctx, c, cmd, parts.head, facts, plan));
    return true;
  }
  if (cmd.constraint == ConstraintType::kExclusion) {
    RefuseOrAllow(ctx, c, "exclusion-constraint",
                  fmt::format("an EXCLUDE constraint builds its index on {} ({}) under "
                              "ACCESS EXCLUSIVE, and cannot be added NOT VALID",
                              c.table.Display(), RowsOf(facts)),
                  "add it while the table is small, or enforce the rule in a trigger",
                  ClauseStep(c, cmd, clause_sql, facts), plan);
    return true;
  }
  if (cmd.not_valid) return false;
  if (facts.partitioned && cmd.constraint == ConstraintType::kForeignKey) {
    TIDE_ASSIGN(auto parts, sql::AlterTableClauses(c));
    TIDE_TRY(PlanPartitionedForeignKey(catalog_, c, cmd, parts.head, facts, plan));
    return true;
  }
  bool fk = cmd.constraint == ConstraintType::kForeignKey;
  Step add = ClauseStep(c, cmd, clause_sql + " NOT VALID", facts);
  add.kind = StepKind::kAddConstraintNotValid;
  add.object_name = cmd.object_name;
  add.why = fmt::format(
      "adding a {} validates every row of {} ({}) while it holds {}; NOT VALID adds it "
      "at once for new rows, and VALIDATE then checks the old ones under SHARE UPDATE "
      "EXCLUSIVE, which lets reads and writes go on",
      fk ? "FOREIGN KEY" : "CHECK", c.table.Display(), RowsOf(facts), sql::LockName(cmd.lock));
  plan.notes.push_back({static_cast<int>(c.index), c.line(),
                        fk ? "foreign-key-not-valid" : "check-not-valid", add.why});
  int add_index = static_cast<int>(plan.steps.size());
  plan.steps.push_back(std::move(add));
  plan.steps.push_back(ValidateStep(c, cmd, facts, add_index, cmd.object_name));
  return true;
}

void Planner::PlanValidateClause(const FileContext& ctx, const sql::Classified& c,
                                 const sql::Command& cmd, const std::string& clause_sql,
                                 const TableFacts& facts, Plan& plan) {
  for (const auto& earlier : ctx.script.classified) {
    if (earlier.index >= c.index) break;
    for (const auto& added : earlier.commands) {
      if (added.action == Action::kAddConstraint && added.not_valid &&
          !cmd.object_name.empty() && added.object_name == cmd.object_name) {
        plan.notes.push_back({static_cast<int>(c.index), c.line(), "validate-own-transaction",
                              fmt::format("VALIDATE runs in its own transaction, after the "
                                          "ADD CONSTRAINT of line {} has committed: its lock "
                                          "is not held during the scan",
                                          earlier.line())});
      }
    }
  }
  Step s = ClauseStep(c, cmd, clause_sql, facts);
  s.kind = StepKind::kValidateConstraint;
  s.own_transaction = true;
  s.object_name = cmd.object_name;
  s.why = "a scan under SHARE UPDATE EXCLUSIVE runs in its own transaction, so no other "
          "lock of this file is held meanwhile";
  plan.steps.push_back(std::move(s));
}

// The old release kept inserting rows without the column since an earlier migration filled it:
// repeat that fill over the rows still NULL, so a value the new release wrote stays. It belongs
// to the SET NOT NULL whatever else tide does with the statement: a small table that runs the
// ALTER as written needs it as much as a big one (without it the ALTER fails with 23502).
Status Planner::PlanCatchUp(const sql::Classified& c, const std::string& column,
                            const TableFacts& facts, Plan& plan) {
  const PriorUpdate* prior = nullptr;
  for (const auto& p : prior_updates_) {
    bool same_table = p.table.name == c.table.name &&
                      (p.table.schema.empty() || c.table.schema.empty() ||
                       p.table.schema == c.table.schema);
    if (same_table && std::find(p.columns.begin(), p.columns.end(), column) != p.columns.end()) {
      prior = &p;
    }
  }
  if (!prior) return Ok();
  int index = static_cast<int>(c.index);
  TIDE_ASSIGN(auto parts, sql::SplitDml(prior->text));
  std::string guard = (prior->alias.empty() ? "" : QuoteIdent(prior->alias) + ".") +
                      QuoteIdent(column) + " IS NULL";
  std::string why = fmt::format(
      "{} filled {} before the old release stopped writing; rows it "
      "inserted since are filled first, and only where {} is still "
      "NULL",
      prior->script, column, column);
  plan.notes.push_back({index, c.line(), "contract-catch-up", why});
  BackfillSpec spec;
  spec.table = facts.quoted;
  spec.label = fmt::format("catch-up {}.{}", c.table.Display(), column);
  for (const auto& k : facts.key) spec.key.push_back(QuoteIdent(k));
  spec.key_types = facts.key_types;
  spec.head = parts.head;
  spec.where = parts.where;
  spec.alias = prior->alias;
  spec.guard = guard;
  spec.live_end = true;  // with the guard: what marks a catch-up step (IsCatchUp)
  if (facts.small || (facts.known && facts.key.empty())) {
    // One statement: cheap on a small table; on a table without a key the only way to change
    // each row once (see PlanDml), and it locks only the rows still NULL.
    Step s = AsWritten(c, parts.WithCondition(guard));
    s.kind = StepKind::kSql;
    s.lock = sql::Lock::kRowExclusive;
    s.lock_tables = {facts.quoted};
    s.transactional = true;
    s.own_transaction = !facts.small;
    s.estimated_rows = facts.rows;
    s.why = why;
    s.backfill = std::move(spec);  // not batched: says what it fills, and that rows are counted
    plan.steps.push_back(std::move(s));
    return Ok();
  }
  std::string shown = parts.WithCondition(spec.guard + " AND <key range>");
  plan.steps.push_back(BackfillStep(c, facts, std::move(spec), shown, why));
  return Ok();
}

Status Planner::PlanSetNotNull(FileContext& ctx, const sql::Classified& c,
                               const std::string& column, const TableFacts& facts, Plan& plan) {
  (void)ctx;
  int index = static_cast<int>(c.index);
  std::string qcol = QuoteIdent(column);
  TIDE_TRY(PlanCatchUp(c, column, facts, plan));
  std::string check = TemporaryCheckName(c.table.name, column);
  std::string qcheck = QuoteIdent(check);
  Step add;
  add.kind = StepKind::kAddConstraintNotValid;
  add.sql = fmt::format("ALTER TABLE {0} DROP CONSTRAINT IF EXISTS {1}, ADD CONSTRAINT {1} "
                        "CHECK ({2} IS NOT NULL) NOT VALID",
                        facts.quoted, qcheck, qcol);
  add.table = c.table.Display();
  add.lock_tables = {facts.quoted};
  add.lock = sql::Lock::kAccessExclusive;
  add.statement = index;
  add.line = c.line();
  add.object_name = check;
  add.why = fmt::format("SET NOT NULL scans {} ({}) under ACCESS EXCLUSIVE; with a validated "
                        "CHECK ({} IS NOT NULL) it skips the scan",
                        c.table.Display(), RowsOf(facts), column);
  plan.notes.push_back({index, c.line(), "set-not-null-via-check", add.why});
  plan.steps.push_back(add);
  Step validate = ValidateAfter(add, facts.quoted, check, facts.rows,
                                "checks the existing rows without blocking reads or writes");
  plan.steps.push_back(validate);
  Step set = add;
  set.kind = StepKind::kSql;
  set.sql = fmt::format("ALTER TABLE {} ALTER COLUMN {} SET NOT NULL", facts.quoted, qcol);
  set.why = "no scan: the validated check proves it";
  set.object_name.clear();
  plan.steps.push_back(set);
  Step drop = set;
  drop.sql = fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", facts.quoted, qcheck);
  drop.why = "tide's temporary check is no longer needed";
  plan.steps.push_back(drop);
  return Ok();
}

Status Planner::PlanUniqueConstraint(FileContext& ctx, const sql::Classified& c,
                                     const sql::Command& cmd, const std::string& head,
                                     const TableFacts& facts, Plan& plan) {
  bool primary = cmd.constraint == ConstraintType::kPrimaryKey;
  std::string kind = primary ? "PRIMARY KEY" : "UNIQUE";
  // USING INDEX and CONCURRENTLY are refused on a partitioned table: partition by partition.
  if (facts.partitioned) {
    return PlanPartitionedUnique(catalog_, c, cmd, head, facts, plan, [&]() -> Status {
      if (!primary) return Ok();
      for (const auto& col : cmd.columns) {
        const ColumnFacts* f = facts.Column(col);
        if (!f || !f->not_null) TIDE_TRY(PlanSetNotNull(ctx, c, col, facts, plan));
      }
      return Ok();
    });
  }
  if (cmd.has_options || cmd.columns.empty()) {
    RefuseOrAllow(ctx, c, "add-unique-constraint",
                  fmt::format("ADD {} builds its index on {} ({}) under ACCESS EXCLUSIVE",
                              kind, c.table.Display(), RowsOf(facts)),
                  fmt::format("CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... "
                              "{} USING INDEX",
                              kind),
                  AsWritten(c, c.statement->text), plan);
    return Ok();
  }
  std::string name = cmd.object_name;
  if (name.empty()) {
    std::string schema = facts.schema.empty() ? c.table.schema : facts.schema;
    TIDE_ASSIGN(name, ConstraintIndexName(c.table.name, cmd.columns, primary,
                                          [&](const std::string& n) -> Result<bool> {
                                            return catalog_.RelationExists(schema, n);
                                          }));
  }
  if (primary) {
    for (const auto& col : cmd.columns) {
      const ColumnFacts* f = facts.Column(col);
      if (!f || !f->not_null) TIDE_TRY(PlanSetNotNull(ctx, c, col, facts, plan));
    }
  }
  std::vector<std::string> cols, incl;
  for (const auto& col : cmd.columns) cols.push_back(QuoteIdent(col));
  for (const auto& col : cmd.including) incl.push_back(QuoteIdent(col));
  Step build;
  build.kind = StepKind::kCreateIndexConcurrently;
  build.sql = fmt::format("CREATE UNIQUE INDEX CONCURRENTLY {} ON {} ({}){}", QuoteIdent(name),
                          facts.quoted, Join(cols, ", "),
                          incl.empty() ? "" : " INCLUDE (" + Join(incl, ", ") + ")");
  build.table = c.table.Display();
  build.lock_tables = {facts.quoted};
  build.lock = sql::Lock::kShareUpdateExclusive;
  build.transactional = false;
  build.statement = static_cast<int>(c.index);
  build.line = c.line();
  build.estimated_rows = facts.rows;
  build.object_name = name;
  build.why = fmt::format("ADD {} would build its index on {} ({}) under ACCESS EXCLUSIVE; "
                          "the index is built concurrently, then attached in a moment",
                          kind, c.table.Display(), RowsOf(facts));
  plan.notes.push_back({static_cast<int>(c.index), c.line(),
                        primary ? "primary-key-using-index" : "unique-using-index", build.why});
  plan.steps.push_back(build);
  Step attach = build;
  attach.kind = StepKind::kSql;
  attach.transactional = true;
  attach.lock = sql::Lock::kAccessExclusive;
  attach.sql = fmt::format("{} ADD CONSTRAINT {} {} USING INDEX {}{}", head, QuoteIdent(name), kind,
                           QuoteIdent(name),
                           cmd.deferrable ? (cmd.initially_deferred
                                                 ? " DEFERRABLE INITIALLY DEFERRED"
                                                 : " DEFERRABLE")
                                          : "");
  attach.why = "attaching a valid index is a catalog change";
  plan.steps.push_back(attach);
  return Ok();
}

}  // namespace tide::plan
