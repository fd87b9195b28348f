#include "plan/planner.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/strings.h"
#include "sql/sql_text.h"

namespace tide::plan {

namespace {

bool SameTable(const sql::TableName& a, const sql::TableName& b) {
  return a.name == b.name && (a.schema.empty() || b.schema.empty() || a.schema == b.schema);
}

std::vector<std::string> LockTables(const sql::Classified& c) {
  std::vector<std::string> out;
  for (const auto& cmd : c.commands) {
    if (cmd.table.empty() || cmd.lock == sql::Lock::kNone) continue;
    std::string q = cmd.table.Quoted();
    if (std::find(out.begin(), out.end(), q) == out.end()) out.push_back(q);
  }
  return out;
}

std::string Rows(const TableFacts& f) {
  if (!f.known) return "rows counted when it runs";
  return fmt::format("{} rows", FormatCount(std::max<int64_t>(f.rows, 0)));
}

}  // namespace

Step AsWritten(const sql::Classified& c, const std::string& sql_text) {
  Step s;
  s.kind = c.action == sql::Action::kSet ? StepKind::kSession : StepKind::kSql;
  s.sql = sql_text;
  s.table = c.table.Display();
  s.lock_tables = LockTables(c);
  s.lock = c.lock;
  s.transactional = c.transactional;
  s.statement = static_cast<int>(c.index);
  s.line = c.line();
  s.column = c.statement ? c.statement->column : 0;
  return s;
}

bool IsCatchUp(const Step& s) {
  return s.backfill && !s.backfill->guard.empty() && s.backfill->live_end;
}

Step BackfillStep(const sql::Classified& c, const TableFacts& facts, BackfillSpec spec,
                  std::string sql, std::string why) {
  Step s;
  s.kind = StepKind::kBackfill;
  s.table = c.table.Display();
  s.lock_tables = {facts.quoted};
  s.lock = sql::Lock::kRowExclusive;
  s.transactional = false;
  s.statement = static_cast<int>(c.index);
  s.line = c.line();
  s.estimated_rows = facts.rows;
  s.sql = std::move(sql);
  s.why = std::move(why);
  s.backfill = std::move(spec);
  return s;
}

std::vector<PriorUpdate> PriorUpdatesOf(const sql::ClassifiedScript& script,
                                        const std::string& script_name) {
  std::vector<PriorUpdate> out;
  for (const auto& c : script.classified) {
    if (c.action != sql::Action::kUpdate || !c.dml) continue;
    const auto& d = *c.dml;
    if (!d.equality_columns.empty() || d.has_with || d.has_returning || d.where_current_of) {
      continue;
    }
    out.push_back({c.table, d.set_columns, c.statement->text, d.alias, script_name});
  }
  return out;
}

void Planner::RememberPriorUpdates(const sql::ClassifiedScript& script,
                                   const std::string& script_name) {
  RememberPriorUpdates(PriorUpdatesOf(script, script_name));
}

// The actions PlanStatement plans by the size of their table (the cases of its switch that read
// `facts`); every other statement runs as written, so its table's facts would only cost catalog
// queries (a CREATE TABLE would ask about the table it is about to create).
namespace {
bool NeedsFacts(sql::Action action) {
  using sql::Action;
  switch (action) {
    case Action::kUpdate:
    case Action::kDelete:
    case Action::kVacuumFull:
    case Action::kCluster:
    case Action::kLockTable:
    case Action::kAlterTableOther:
    case Action::kAddColumn:
    case Action::kDropColumn:
    case Action::kAlterColumnType:
    case Action::kSetDefault:
    case Action::kDropDefault:
    case Action::kSetNotNull:
    case Action::kDropNotNull:
    case Action::kAddConstraint:
    case Action::kValidateConstraint:
    case Action::kDropConstraint:
    case Action::kAttachPartition:
    case Action::kDetachPartition:
    case Action::kSetTablespace:
    case Action::kSetLogged:
    case Action::kSetAccessMethod:
      return true;
    default:
      return false;
  }
}
}  // namespace

Result<TableFacts> Planner::Facts(const FileContext& ctx, const sql::TableName& table,
                                  size_t before) {
  auto fresh = [&] {
    TableFacts f;
    f.exists = false;
    f.small = true;
    f.rows = 0;
    f.quoted = table.Quoted();
    return f;
  };
  if (CreatedBefore(ctx, table, before)) return fresh();
  return catalog_.Table(table);
}

bool Planner::CreatedBefore(const FileContext& ctx, const sql::TableName& table,
                            size_t before) const {
  for (const auto& t : created_in_run_) {
    if (SameTable(t, table)) return true;
  }
  return ctx.created.Contains(table, before);
}

void Planner::RefuseOrAllow(FileContext& ctx, const sql::Classified& c, const std::string& rule,
                            const std::string& message, const std::string& recipe, Plan& plan) {
  RefuseOrAllow(ctx, c, rule, message, recipe, AsWritten(c, c.statement->text), plan);
}

void Planner::RefuseOrAllow(FileContext& ctx, const sql::Classified& c, const std::string& rule,
                            const std::string& message, const std::string& recipe,
                            Step as_written, Plan& plan) {
  const sql::Allow* allow = ctx.script.directives.Find(c.index, rule);
  if (allow) {
    plan.steps.push_back(std::move(as_written));
    plan.notes.push_back({static_cast<int>(c.index), c.line(), rule,
                          fmt::format("runs as written because of tide:allow {} ({})", rule,
                                      allow->reason.empty() ? "no reason given" : allow->reason)});
    return;
  }
  plan.refusals.push_back({static_cast<int>(c.index), c.line(), rule, message, recipe});
}

Result<Plan> Planner::PlanScript(const sql::ClassifiedScript& script) {
  Plan plan;
  FileContext ctx{script, {}};
  for (const auto& c : script.classified) {
    if (c.action == sql::Action::kCreateTable || c.action == sql::Action::kCreateTableAs) {
      ctx.created.Add(c.table, c.index);
    } else if (c.action == sql::Action::kRenameTable && !c.commands.empty() &&
               !c.commands[0].new_name.empty() && CreatedBefore(ctx, c.table, c.index)) {
      // A new table renamed is still new (RENAME keeps its schema).
      ctx.created.Add({c.table.schema, c.commands[0].new_name}, c.index);
    }
  }
  for (const auto& c : script.classified) {
    TIDE_TRY(PlanStatement(ctx, c, plan));
  }
  AssignGroups(plan);
  return plan;
}

// Long by design: the dispatch from a statement's kind to its planning, one case each, so
// that what tide does with each kind is found in one place.
Status Planner::PlanStatement(FileContext& ctx, const sql::Classified& c, Plan& plan) {
  using sql::Action;
  const std::string& text = c.statement->text;
  if (c.action == Action::kTransaction) {
    plan.notes.push_back({static_cast<int>(c.index), c.line(), "transaction-control",
                          "skipped: tide decides the transactions of each step"});
    return Ok();
  }
  switch (c.action) {
    case Action::kCreateIndex:
    case Action::kDropIndex:
    case Action::kReindex:
      return PlanIndex(ctx, c, plan);
    default:
      break;
  }
  if (c.action == Action::kAttachPartition && c.commands.size() == 1 &&
      !c.commands[0].partition.empty()) {
    // What the attach scans is the partition, whatever the size of the table.
    return PlanAttachPartition(ctx, c, plan);
  }
  TableFacts facts;
  if (!c.table.empty() && NeedsFacts(c.action)) {
    TIDE_ASSIGN(facts, Facts(ctx, c.table, c.index));
  }
  bool fresh = c.table.empty() || !facts.exists || facts.small;
  if (c.action == Action::kDetachPartition && c.commands.size() == 1 &&
      !c.commands[0].partition.empty()) {
    return PlanDetachPartition(ctx, c, facts, plan);
  }
  switch (c.action) {
    case Action::kUpdate:
    case Action::kDelete:
      if (fresh) break;
      return PlanDml(ctx, c, facts, plan);
    case Action::kVacuumFull:
    case Action::kCluster:
      // Without a table they rewrite every table of the database (CLUSTER: every one clustered
      // before), which is never fresh.
      if (fresh && !c.table.empty()) break;
      RefuseOrAllow(ctx, c, c.action == Action::kCluster ? "cluster" : "vacuum-full",
                    fmt::format("{} rewrites {} ({}) under an ACCESS EXCLUSIVE lock: reads and "
                                "writes stop until it ends",
                                c.action == Action::kCluster ? "CLUSTER" : "VACUUM FULL",
                                c.table.empty() ? "every table" : c.table.Display(),
                                c.table.empty() ? "all their rows" : Rows(facts)),
                    "use pg_repack, or plain VACUUM (which does not block); schema migrations "
                    "are the wrong place for table maintenance",
                    plan);
      return Ok();
    case Action::kLockTable:
      if (fresh || !sql::BlocksWrites(c.lock)) break;
      RefuseOrAllow(ctx, c, "lock-table",
                    fmt::format("LOCK TABLE {} IN {} MODE {} for the rest of the transaction, "
                                "and waits behind every running query while it queues",
                                c.table.Display(), sql::LockName(c.lock), sql::LockEffect(c.lock)),
                    "remove it: tide takes each lock itself, briefly, with a timeout", plan);
      return Ok();
    case Action::kAlterTableOther:
    case Action::kAddColumn:
    case Action::kDropColumn:
    case Action::kAlterColumnType:
    case Action::kSetDefault:
    case Action::kDropDefault:
    case Action::kSetNotNull:
    case Action::kDropNotNull:
    case Action::kAddConstraint:
    case Action::kValidateConstraint:
    case Action::kDropConstraint:
    case Action::kAttachPartition:
    case Action::kDetachPartition:
    case Action::kSetTablespace:
    case Action::kSetLogged:
    case Action::kSetAccessMethod:
      if (!fresh) return PlanAlterTable(ctx, c, facts, plan);
      if (facts.exists) {
        // As written on a small table, but after the catch-up that makes a SET NOT NULL hold.
        for (const auto& cmd : c.commands) {
          if (cmd.action == Action::kSetNotNull) TIDE_TRY(PlanCatchUp(c, cmd.column, facts, plan));
        }
      }
      break;
    case Action::kDo:
      plan.notes.push_back({static_cast<int>(c.index), c.line(), "opaque-statement",
                            "a DO block runs as written: tide cannot see which locks it takes"});
      break;
    case Action::kAlterEnumAddValue: {
      Step s = AsWritten(c, text);
      // The new value cannot be used before this commits, so it commits on its own.
      s.own_transaction = true;
      if (c.index + 1 < ctx.script.classified.size()) {
        plan.notes.push_back({static_cast<int>(c.index), c.line(), "enum-value-own-transaction",
                              "ADD VALUE commits on its own, so the statements after it may use "
                              "the new value (PostgreSQL refuses it in the transaction that added "
                              "it)"});
      }
      plan.steps.push_back(std::move(s));
      return Ok();
    }
    default:
      break;
  }
  plan.steps.push_back(AsWritten(c, text));
  return Ok();
}

Status Planner::PlanIndex(FileContext& ctx, const sql::Classified& c, Plan& plan) {
  using sql::Action;
  const sql::Command& cmd = c.commands.at(0);
  sql::TableName table = c.table;
  if (table.empty() && !cmd.object_name.empty()) {
    sql::TableName index{cmd.table.schema, cmd.object_name};
    TIDE_ASSIGN(auto owner, catalog_.TableOfIndex(index));
    if (owner) table = *owner;
  }
  TableFacts facts;
  if (!table.empty()) {
    TIDE_ASSIGN(facts, Facts(ctx, table, c.index));
  } else {
    facts.known = catalog_.online();
    facts.exists = !catalog_.online();  // offline: assume the index's table is big
  }
  bool fresh = facts.exists ? facts.small : true;
  Step s = AsWritten(c, c.statement->text);
  s.table = table.Display();
  s.lock_tables = table.empty() ? std::vector<std::string>{} : std::vector<std::string>{table.Quoted()};
  s.estimated_rows = facts.rows;
  s.object_name = cmd.object_name;
  if (c.action == Action::kCreateIndex) {
    if (facts.partitioned && !cmd.only && (!fresh || cmd.concurrently)) {
      // PostgreSQL refuses CONCURRENTLY on a partitioned table: written so, it means this.
      return PlanPartitionedIndex(ctx, c, facts, plan);
    }
    if (cmd.concurrently) {
      s.kind = StepKind::kCreateIndexConcurrently;
      plan.steps.push_back(std::move(s));
      return Ok();
    }
    if (fresh) {
      plan.steps.push_back(std::move(s));
      return Ok();
    }
    if (facts.partitioned) {  // ON ONLY: a catalog change, no build
      plan.steps.push_back(std::move(s));
      return Ok();
    }
    TIDE_ASSIGN(s.sql, sql::AddConcurrently(c.statement->text));
    s.kind = StepKind::kCreateIndexConcurrently;
    s.lock = sql::Lock::kShareUpdateExclusive;
    s.transactional = false;
    s.why = fmt::format("CREATE INDEX holds a SHARE lock on {} ({}) for the whole build, which "
                        "blocks writes; CONCURRENTLY builds it while reads and writes go on",
                        table.Display(), Rows(facts));
    plan.notes.push_back({static_cast<int>(c.index), c.line(), "create-index-concurrently", s.why});
    plan.steps.push_back(std::move(s));
    return Ok();
  }
  bool drop = c.action == Action::kDropIndex;
  if (cmd.concurrently) {
    s.kind = drop ? StepKind::kDropIndexConcurrently : StepKind::kReindexConcurrently;
    plan.steps.push_back(std::move(s));
    return Ok();
  }
  // DROP INDEX CONCURRENTLY takes one index and no CASCADE; REINDEX only for a table or index
  // (offline, the table of REINDEX INDEX is unknown, but the index is named).
  bool rewritable = drop ? (c.commands.size() == 1 && !cmd.cascade)
                         : (!table.empty() || !cmd.object_name.empty());
  if (fresh || !rewritable) {
    plan.steps.push_back(std::move(s));
    return Ok();
  }
  TIDE_ASSIGN(s.sql, sql::AddConcurrently(c.statement->text));
  s.kind = drop ? StepKind::kDropIndexConcurrently : StepKind::kReindexConcurrently;
  s.lock = sql::Lock::kShareUpdateExclusive;
  s.transactional = false;
  s.why = drop ? fmt::format("DROP INDEX takes ACCESS EXCLUSIVE on {}; CONCURRENTLY waits for "
                             "running queries instead of blocking new ones",
                             table.Display())
               : fmt::format("REINDEX blocks writes to {} ({}) while it rebuilds; CONCURRENTLY "
                             "does not",
                             table.Display(), Rows(facts));
  plan.notes.push_back({static_cast<int>(c.index), c.line(),
                        drop ? "drop-index-concurrently" : "reindex-concurrently", s.why});
  plan.steps.push_back(std::move(s));
  return Ok();
}

namespace {

// How tide walks the table of an UPDATE or DELETE it batches.
BackfillSpec SpecOf(const sql::Classified& c, const TableFacts& facts,
                    const sql::DmlText& parts) {
  const sql::DmlInfo& d = *c.dml;
  BackfillSpec spec;
  spec.table = facts.quoted;
  spec.label = c.table.Display() + (d.set_columns.empty() ? "" : "." + Join(d.set_columns, ","));
  for (const auto& k : facts.key) spec.key.push_back(QuoteIdent(k));
  spec.key_types = facts.key_types;
  spec.head = parts.head;
  spec.where = parts.where;
  spec.alias = d.alias;
  spec.is_delete = c.action == sql::Action::kDelete;
  // A backfill that skips rows already done converges; it may then walk to the live end of the
  // table and catch the rows inserted while it runs. Anything else stops at the rows that
  // existed when it started, as the statement would have.
  for (const auto& col : d.null_guard_columns) {
    if (std::find(d.set_columns.begin(), d.set_columns.end(), col) != d.set_columns.end()) {
      spec.live_end = true;
    }
  }
  return spec;
}

// Why a DML statement cannot be batched: no key, or (a key column the UPDATE sets is no
// identity either) the row moves to a key the walk has not reached yet, and is met again.
std::string NoKeyMessage(const sql::Classified& c, const TableFacts& facts,
                         const std::string& verb, const std::string& moved_key) {
  if (moved_key.empty()) {
    return fmt::format(
        "{} ({}) has no primary key or unique NOT NULL key, so tide cannot batch this {}: "
        "without a key a row has no identity that survives an update, and batches over "
        "physical row ranges would change rows twice or miss rows the application moves",
        c.table.Display(), Rows(facts), verb);
  }
  return fmt::format("this UPDATE sets {}, the key tide would batch {} ({}) on: a row moved to a "
                     "key ahead of the walk would be changed again",
                     moved_key, c.table.Display(), Rows(facts));
}

}  // namespace

Status Planner::PlanDml(FileContext& ctx, const sql::Classified& c, const TableFacts& facts,
                        Plan& plan) {
  const sql::DmlInfo& d = *c.dml;
  (void)ctx;
  bool targeted = !d.equality_columns.empty() || d.where_current_of;
  if (targeted) {
    plan.steps.push_back(AsWritten(c, c.statement->text));
    return Ok();
  }
  std::string verb = c.action == sql::Action::kUpdate ? "UPDATE" : "DELETE";
  if (d.has_returning || d.has_with) {
    Step s = AsWritten(c, c.statement->text);
    s.own_transaction = true;
    s.estimated_rows = facts.rows;
    plan.notes.push_back({static_cast<int>(c.index), c.line(), "unbatched-dml",
                          fmt::format("runs as written in its own transaction: tide cannot batch "
                                      "an {} with {}",
                                      verb, d.has_with ? "WITH" : "RETURNING")});
    plan.steps.push_back(std::move(s));
    return Ok();
  }
  TIDE_ASSIGN(auto parts, sql::SplitDml(c.statement->text));
  BackfillSpec spec = SpecOf(c, facts, parts);
  std::string moved_key;  // a key column the UPDATE sets: the row moves within the walk
  for (const auto& k : facts.key) {
    if (std::find(d.set_columns.begin(), d.set_columns.end(), k) != d.set_columns.end()) {
      moved_key = k;
    }
  }
  if ((spec.key.empty() || !moved_key.empty()) && facts.known) {
    // Batches need a row identity that survives an UPDATE, and a table without a key has none:
    // ctid names a row version, not a row. (1) Walking ctid ranges meets again the versions that
    // tide's own earlier batches wrote further on (an UPDATE writes a new version, often on a
    // later page): rows changed twice or more, triggers fired again, counts too high. (2) The
    // application's own UPDATE moves a row too: ahead of the walk (changed twice) or behind it
    // (never changed; a DELETE then misses it), whatever the statement is, converging or not.
    // (3) A frozen list of ctids taken once loses every row the application updates before its
    // batch (its old ctid names a dead version), and after VACUUM a ctid can name another row.
    // (4) A marker column (pgroll's way) travels with the row, but it is visible: `SELECT *`,
    // `INSERT ... VALUES` and every trigger see it (an audit trigger writing to_jsonb(NEW) would
    // store it), so rows would differ from a plain run's. Only the statement itself, in one
    // transaction, changes each row exactly once here: tide runs that only when the file says
    // so, since it holds the row locks of every row it changes until it ends.
    Step as_written = AsWritten(c, c.statement->text);
    as_written.own_transaction = true;
    as_written.backfill = spec;  // not batched: says what it changes, and that rows are counted
    as_written.estimated_rows = facts.rows;
    RefuseOrAllow(ctx, c, "backfill-without-key",
                  NoKeyMessage(c, facts, verb, moved_key) +
                      "; as one statement it holds the lock of every row it changes until "
                      "it ends",
                  "give the table a primary key (or a unique NOT NULL key) in a migration of its "
                  "own first, then tide batches it on that key; with tide:allow it runs as "
                  "written in one transaction of its own",
                  std::move(as_written), plan);
    return Ok();
  }
  std::string range = spec.key.empty() ? std::string("<key> > $1 AND <key> <= $2")
                                       : fmt::format("{} > $1 AND {} <= $2", Join(spec.key, ", "),
                                                     Join(spec.key, ", "));
  std::string why = fmt::format(
      "one {} over {} would hold its row locks until the end and, in the file's transaction, the "
      "table lock of the statements before it; tide runs it in short batches (target_batch long, "
      "20 ms by default, shorter while the application queues behind one), each committed on "
      "its own, keyed on {}",
      verb, Rows(facts),
      !facts.known ? std::string("the table's primary key (read from the catalog when it "
                                 "runs; refused if it has no usable key)")
                   : Join(facts.key, ", "));
  Step s = BackfillStep(c, facts, std::move(spec), parts.WithCondition(range), why);
  plan.notes.push_back({static_cast<int>(c.index), c.line(), "batched-backfill", s.why});
  plan.steps.push_back(std::move(s));
  return Ok();
}

}  // namespace tide::plan
