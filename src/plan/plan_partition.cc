// Partitioned tables (issue 18). PostgreSQL cannot build an index on a partitioned table
// CONCURRENTLY, so a plain CREATE INDEX blocks writes to every partition until the last is
// built: tide makes the parent's index ON ONLY (invalid, no build), builds each partition's
// concurrently under the name PostgreSQL would give it, and attaches each; the parent's index
// becomes valid with the last attach. ATTACH PARTITION scans the new partition under ACCESS
// EXCLUSIVE unless a validated CHECK proves its rows fit the bound; DETACH PARTITION takes
// ACCESS EXCLUSIVE on the parent, which CONCURRENTLY (PostgreSQL 14+) avoids.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "base/strings.h"
#include "plan/alter_steps.h"
#include "plan/names.h"
#include "plan/partition_text.h"
#include "plan/plan_partition.h"
#include "plan/planner.h"
#include "sql/sql_text.h"

namespace tide::plan {

Step StepOn(const sql::Classified& c, const std::string& table, const std::string& quoted) {
  Step s;
  s.table = table;
  s.lock_tables = {quoted};
  s.statement = static_cast<int>(c.index);
  s.line = c.line();
  s.column = c.statement->column;
  return s;
}

namespace {

// Why CREATE INDEX on a partitioned table must run as written, when one of its partitions
// rules out the per-partition build; nullopt when none does.
std::optional<std::string> PartitionRulesOutSplit(const std::vector<PartitionFacts>& partitions,
                                                  const sql::Command& cmd) {
  for (const auto& p : partitions) {
    if (p.foreign) {
      return fmt::format("runs as written: {} is a foreign table, which PostgreSQL gives no "
                         "index of this kind",
                         p.name.Display());
    }
    if (p.detach_pending) {
      return fmt::format("runs as written: {} is being detached (an unfinished DETACH ... "
                         "CONCURRENTLY); finish it with FINALIZE first",
                         p.name.Display());
    }
    bool keys_covered = !p.key_has_expressions;
    for (const auto& k : p.key_columns) {
      keys_covered = keys_covered &&
                     std::find(cmd.columns.begin(), cmd.columns.end(), k) != cmd.columns.end();
    }
    if (cmd.unique && p.partitioned && !keys_covered) {
      // PostgreSQL refuses it; as written it fails before changing anything, as a plain run.
      return fmt::format("runs as written: a unique index must include the partition key of {} "
                         "too, which PostgreSQL checks",
                         p.name.Display());
    }
  }
  return std::nullopt;
}

// Offline (no catalog to list the partitions): the steps as they will run, one of each kind.
void AppendOfflinePartitionSteps(const Step& only, const std::string& unique,
                                 const std::string& quoted_table, const std::string& tail,
                                 const std::string& parent_index, Plan& plan) {
  Step each = only;
  each.kind = StepKind::kCreateIndexConcurrently;
  each.sql = fmt::format("CREATE {}INDEX CONCURRENTLY <partition>_..._idx ON <each partition "
                         "of {}>{}",
                         unique, quoted_table, tail);
  each.lock = sql::Lock::kShareUpdateExclusive;
  each.transactional = false;
  each.object_name.clear();
  each.why = "each partition's index, built while reads and writes go on";
  plan.steps.push_back(each);
  Step attach = only;
  attach.sql = fmt::format("ALTER INDEX {} ATTACH PARTITION <each partition's index>",
                           parent_index);
  attach.lock = sql::Lock::kAccessExclusive;
  attach.why = "a catalog change: ACCESS EXCLUSIVE on the partition's new index only";
  plan.steps.push_back(attach);
}

// One partition's index: ON ONLY when the partition is partitioned too (its own partitions
// follow it in the list), else built CONCURRENTLY; then attached to its parent's index.
void AppendPartitionSteps(const sql::Classified& c, const PartitionFacts& p,
                          const std::string& child, const std::string& parent_index,
                          const std::string& unique, const std::string& tail, Plan& plan) {
  Step build = StepOn(c, p.name.Display(), p.quoted);
  build.object_name = child;
  build.estimated_rows = p.rows;
  if (p.partitioned) {
    build.kind = StepKind::kSql;
    build.sql = fmt::format("CREATE {}INDEX {} ON ONLY {}{}", unique, QuoteIdent(child),
                            p.quoted, tail);
    build.lock = sql::Lock::kShare;
    build.why = fmt::format("{} is partitioned too: its index ON ONLY, then its partitions'",
                            p.name.Display());
  } else {
    build.kind = StepKind::kCreateIndexConcurrently;
    build.sql = fmt::format("CREATE {}INDEX CONCURRENTLY {} ON {}{}", unique, QuoteIdent(child),
                            p.quoted, tail);
    build.lock = sql::Lock::kShareUpdateExclusive;
    build.transactional = false;
    build.why = fmt::format("builds the index of partition {} ({}) while reads and writes go on",
                            p.name.Display(), RowsText(p.rows, true));
  }
  plan.steps.push_back(build);
  Step attach = StepOn(c, p.name.Display(), p.quoted);
  attach.kind = StepKind::kSql;
  attach.sql = fmt::format("ALTER INDEX {} ATTACH PARTITION {}", parent_index,
                           QuoteQualified(p.name.schema, child));
  attach.lock = sql::Lock::kAccessExclusive;
  attach.new_transaction = true;
  attach.why = "a catalog change: ACCESS EXCLUSIVE on the new index only (queries planning on "
               "the partition wait a moment)";
  plan.steps.push_back(attach);
}

}  // namespace

Status Planner::PlanPartitionedIndex(FileContext& ctx, const sql::Classified& c,
                                     const TableFacts& facts, Plan& plan) {
  (void)ctx;
  const sql::Command& cmd = c.commands.at(0);
  int index = static_cast<int>(c.index);
  auto as_written = [&](const std::string& why) {
    Step s = AsWritten(c, c.statement->text);
    s.lock_tables = {facts.quoted};
    s.estimated_rows = facts.rows;
    plan.notes.push_back({index, c.line(), "create-index-partitioned-as-written", why});
    plan.steps.push_back(std::move(s));
    return Ok();
  };
  std::optional<std::string> tail = IndexTail(c);
  if (!tail) return as_written("runs as written: tide could not find the table's name in it");
  std::string schema = facts.schema.empty() ? c.table.schema : facts.schema;
  std::map<std::string, std::set<std::string>> planned;  // by schema: names this plan takes
  auto chooser = [&](const std::string& in_schema) {
    return [&, in_schema](const std::string& n) -> Result<bool> {
      if (planned[in_schema].count(n)) return true;
      return catalog_.RelationExists(in_schema, n);
    };
  };
  if (cmd.if_exists && !cmd.object_name.empty()) {
    TIDE_ASSIGN(bool exists, catalog_.RelationExists(schema, cmd.object_name));
    if (exists) return as_written("runs as written: the index exists, so it does nothing");
  }
  TIDE_ASSIGN(auto partitions, catalog_.Partitions(c.table));
  if (partitions) {
    if (auto why = PartitionRulesOutSplit(*partitions, cmd)) return as_written(*why);
  }
  std::string name = cmd.object_name;
  if (name.empty()) {
    TIDE_ASSIGN(name, IndexName(c.table.name, cmd.index_column_names, chooser(schema)));
  }
  planned[schema].insert(name);
  std::string unique = cmd.unique ? "UNIQUE " : "";
  std::string parent_index = QuoteQualified(schema, name);
  std::string why = fmt::format(
      "CREATE INDEX on the partitioned table {} ({}) builds every partition's index under SHARE "
      "locks, blocking writes to all of them until the last is built, and PostgreSQL refuses "
      "CONCURRENTLY on a partitioned table: tide creates the parent's index ON ONLY (no build), "
      "builds each partition's index CONCURRENTLY, named as PostgreSQL names them, and attaches "
      "it; the parent's index becomes valid with the last attach",
      c.table.Display(), RowsText(facts.rows, facts.known));
  plan.notes.push_back({index, c.line(), "create-index-partitioned", why});
  Step only = StepOn(c, c.table.Display(), facts.quoted);
  only.kind = StepKind::kSql;
  only.sql = fmt::format("CREATE {}INDEX {} ON ONLY {}{}", unique, QuoteIdent(name), facts.quoted,
                         *tail);
  only.lock = sql::Lock::kShare;
  only.object_name = name;
  only.why = "the parent's index, invalid until every partition's index is attached: a catalog "
             "change, no build";
  plan.steps.push_back(only);
  if (!partitions) {
    AppendOfflinePartitionSteps(only, unique, facts.quoted, *tail, parent_index, plan);
    return Ok();
  }
  // The indexes of the partitioned levels, by the table they index (to attach children to).
  std::map<std::string, std::string> level_index = {{QuoteQualified(facts.schema, c.table.name),
                                                     parent_index}};
  for (const auto& p : *partitions) {
    TIDE_ASSIGN(std::string child,
                IndexName(p.name.name, cmd.index_column_names, chooser(p.name.schema)));
    planned[p.name.schema].insert(child);
    auto parent_it = level_index.find(QuoteQualified(p.parent.schema, p.parent.name));
    if (parent_it == level_index.end()) {
      return Error::Internal(fmt::format("partition {} of {} came before its parent",
                                         p.name.Display(), p.parent.Display()));
    }
    AppendPartitionSteps(c, p, child, parent_it->second, unique, *tail, plan);
    if (p.partitioned) {
      level_index[QuoteQualified(p.name.schema, p.name.name)] =
          QuoteQualified(p.name.schema, child);
    }
  }
  return Ok();
}

namespace {

// The default partition is scanned too, to prove none of its rows belong to the new one: a big
// one is named in the plan, and its lock holders are watched.
void NoteDefaultPartitionScan(const sql::Classified& c, const std::vector<PartitionFacts>& parts,
                              int64_t small_table_rows, Step& as_written, Plan& plan) {
  const sql::Command& cmd = c.commands.at(0);
  for (const auto& p : parts) {
    if (p.level != 1 || !p.is_default || p.rows <= small_table_rows) continue;
    plan.notes.push_back(
        {static_cast<int>(c.index), c.line(), "attach-partition-default-scan",
         fmt::format("ATTACH PARTITION also scans the default partition {} ({}) under ACCESS "
                     "EXCLUSIVE, to prove that none of its rows belong to {}: reads and "
                     "writes of {} wait meanwhile (a validated CHECK on {} that excludes the "
                     "new bound lets PostgreSQL skip it)",
                     p.name.Display(), RowsText(p.rows, true), cmd.partition.Display(),
                     p.name.Display(), p.name.Display())});
    as_written.lock_tables.push_back(p.quoted);
  }
}

// The CHECK matching the bound, added NOT VALID and validated, then the attach (which skips
// its scan), then the check dropped.
void AppendAttachViaCheck(const sql::Classified& c, const TableFacts& part,
                          const std::string& check, Step as_written, Plan& plan) {
  const sql::Command& cmd = c.commands.at(0);
  int index = static_cast<int>(c.index);
  std::string name = TemporaryBoundCheckName(cmd.partition.name);
  std::string qname = QuoteIdent(name);
  std::string why = fmt::format(
      "ATTACH PARTITION scans {} ({}) under ACCESS EXCLUSIVE to check that its rows fit the "
      "bound; a validated CHECK saying the same lets PostgreSQL skip the scan: tide adds it NOT "
      "VALID, validates it under SHARE UPDATE EXCLUSIVE (reads and writes go on), attaches, and "
      "drops it",
      cmd.partition.Display(), RowsText(part.rows, part.known));
  plan.notes.push_back({index, c.line(), "attach-partition-via-check", why});
  Step add = StepOn(c, cmd.partition.Display(), part.quoted);
  add.kind = StepKind::kAddConstraintNotValid;
  add.sql = fmt::format("ALTER TABLE {0} DROP CONSTRAINT IF EXISTS {1}, ADD CONSTRAINT {1} CHECK "
                        "({2}) NOT VALID",
                        part.quoted, qname, check);
  add.lock = sql::Lock::kAccessExclusive;
  add.object_name = name;
  add.why = why;
  plan.steps.push_back(add);
  plan.steps.push_back(ValidateAfter(add, part.quoted, name, part.rows,
                                     "checks the partition's rows without blocking reads or "
                                     "writes"));
  as_written.why = "no scan of the partition: the validated check proves its rows fit";
  as_written.new_transaction = true;
  plan.steps.push_back(as_written);
  Step drop = add;
  drop.kind = StepKind::kSql;
  drop.sql = fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", part.quoted, qname);
  drop.object_name.clear();
  drop.why = "tide's temporary check is no longer needed";
  plan.steps.push_back(drop);
}

}  // namespace

Status Planner::PlanAttachPartition(FileContext& ctx, const sql::Classified& c, Plan& plan) {
  const sql::Command& cmd = c.commands.at(0);
  int index = static_cast<int>(c.index);
  TIDE_ASSIGN(TableFacts parent, Facts(ctx, c.table, c.index));
  TIDE_ASSIGN(TableFacts part, Facts(ctx, cmd.partition, c.index));
  Step as_written = AsWritten(c, c.statement->text);
  as_written.lock_tables = {parent.quoted, part.quoted};
  as_written.lock = sql::Lock::kAccessExclusive;  // on the partition; SHARE UPDATE EXCLUSIVE on
                                                  // the parent
  as_written.estimated_rows = part.rows;
  if (parent.exists) {
    TIDE_ASSIGN(auto partitions, catalog_.Partitions(c.table));
    if (partitions) {
      NoteDefaultPartitionScan(c, *partitions, options_.small_table_rows, as_written, plan);
    }
  }
  bool fresh = !part.exists || part.small;
  if (fresh) {
    plan.steps.push_back(std::move(as_written));
    return Ok();
  }
  std::vector<std::string> key;
  if (catalog_.online()) {
    TIDE_ASSIGN(key, catalog_.PartitionKey(c.table));
  } else {
    key = {"<partition key>"};
  }
  std::string check = BoundCheck(cmd.text.empty() ? c.statement->text : cmd.text, key);
  if (check.empty()) {
    plan.notes.push_back(
        {index, c.line(), "attach-partition-as-written",
         fmt::format("runs as written: ATTACH scans {} ({}) under ACCESS EXCLUSIVE to check its "
                     "rows fit the bound; tide writes that CHECK itself only for a list or range "
                     "bound over one plain column",
                     cmd.partition.Display(), RowsText(part.rows, part.known))});
    plan.steps.push_back(std::move(as_written));
    return Ok();
  }
  if (!catalog_.online()) {
    size_t at = 0;
    while ((at = check.find("\"<partition key>\"", at)) != std::string::npos) {
      check.replace(at, 17, "<partition key>");
    }
  }
  AppendAttachViaCheck(c, part, check, std::move(as_written), plan);
  return Ok();
}

Status Planner::PlanDetachPartition(FileContext& ctx, const sql::Classified& c,
                                    const TableFacts& facts, Plan& plan) {
  (void)ctx;
  const sql::Command& cmd = c.commands.at(0);
  int index = static_cast<int>(c.index);
  Step s = AsWritten(c, c.statement->text);
  s.lock_tables = {facts.quoted, cmd.partition.Quoted()};
  s.estimated_rows = facts.rows;
  if (cmd.finalize) {
    plan.steps.push_back(std::move(s));
    return Ok();
  }
  auto concurrent = [&](std::string sql, std::string why) {
    s.kind = StepKind::kDetachPartitionConcurrently;
    s.sql = std::move(sql);
    s.lock = sql::Lock::kShareUpdateExclusive;
    s.transactional = false;
    s.object_name = cmd.partition.Quoted();
    s.why = std::move(why);
    plan.steps.push_back(std::move(s));
  };
  if (cmd.concurrently) {
    // As written, but resumable: an interrupted one is finished with FINALIZE.
    concurrent(c.statement->text, "");
    return Ok();
  }
  bool fresh = !facts.exists || facts.small;
  int version = catalog_.server_version();
  if (fresh || (version > 0 && version < 140000)) {
    plan.steps.push_back(std::move(s));
    return Ok();
  }
  TIDE_ASSIGN(auto partitions, catalog_.Partitions(c.table));
  if (partitions) {
    for (const auto& p : *partitions) {
      if (p.level == 1 && p.is_default) {
        plan.notes.push_back(
            {index, c.line(), "detach-partition-as-written",
             fmt::format("runs as written (ACCESS EXCLUSIVE on {}, retried under the lock "
                         "timeout): PostgreSQL refuses DETACH ... CONCURRENTLY while {} has a "
                         "default partition ({})",
                         c.table.Display(), c.table.Display(), p.name.Display())});
        plan.steps.push_back(std::move(s));
        return Ok();
      }
    }
  }
  std::string why = fmt::format(
      "DETACH PARTITION takes ACCESS EXCLUSIVE on {} ({}), and its request waits behind every "
      "running query while every later one waits behind it; CONCURRENTLY (PostgreSQL 14+) "
      "takes SHARE UPDATE EXCLUSIVE, outside a transaction, and an interrupted one is finished "
      "with FINALIZE{}",
      c.table.Display(), RowsText(facts.rows, facts.known),
      partitions ? "" : " (unless the table has a default partition: then as written)");
  plan.notes.push_back({index, c.line(), "detach-partition-concurrently", why});
  concurrent(fmt::format("ALTER TABLE {} DETACH PARTITION {} CONCURRENTLY", facts.quoted,
                         cmd.partition.Quoted()),
             why);
  return Ok();
}

}  // namespace tide::plan
