// ADD UNIQUE and ADD FOREIGN KEY on a partitioned table (plan_partition.h): PostgreSQL takes
// neither USING INDEX, CONCURRENTLY nor NOT VALID there, so tide does the work partition by
// partition and lets the statement adopt it.
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "base/strings.h"
#include "plan/alter_steps.h"
#include "plan/names.h"
#include "plan/partition_text.h"
#include "plan/plan_partition.h"
#include "plan/planner.h"

namespace tide::plan {

namespace {

// Why ADD UNIQUE / PRIMARY KEY on a partitioned table must run as written (PostgreSQL refuses
// it, or a partition rules out building it per partition); nullopt when tide can split it.
Result<std::optional<std::string>> UniqueRunsAsWritten(
    Catalog& catalog, const sql::Classified& c, const sql::Command& cmd,
    const std::optional<std::vector<PartitionFacts>>& partitions) {
  auto covers = [&](const std::vector<std::string>& key) {
    for (const auto& k : key) {
      if (std::find(cmd.columns.begin(), cmd.columns.end(), k) == cmd.columns.end()) return false;
    }
    return true;
  };
  using Why = std::optional<std::string>;
  if (catalog.online()) {
    TIDE_ASSIGN(auto key, catalog.PartitionKey(c.table));
    if (key.empty() || !covers(key)) {
      return Why("runs as written: PostgreSQL refuses a unique constraint that does not hold "
                 "the partition key (or a key with expressions), before it changes anything");
    }
  }
  if (!partitions) return Why();
  for (const auto& p : *partitions) {
    if (p.foreign || p.detach_pending) {
      return Why(fmt::format("runs as written: {} is {}", p.name.Display(),
                             p.foreign ? "a foreign table" : "being detached"));
    }
    if (p.partitioned && (p.key_has_expressions || !covers(p.key_columns))) {
      return Why(fmt::format("runs as written: a unique constraint must hold the partition key "
                             "of {} too, which PostgreSQL checks",
                             p.name.Display()));
    }
  }
  return Why();
}

// A leaf partition's unique index, built concurrently, then its constraint USING INDEX.
void AppendUniqueOfPartition(const Step& on, const PartitionFacts& p, const std::string& name,
                             const std::string& kind, const std::string& columns, Plan& plan) {
  Step build = on;
  build.kind = StepKind::kCreateIndexConcurrently;
  build.sql = fmt::format("CREATE UNIQUE INDEX CONCURRENTLY {} ON {} ({})", QuoteIdent(name),
                          p.quoted, columns);
  build.lock = sql::Lock::kShareUpdateExclusive;
  build.transactional = false;
  build.object_name = name;
  build.why = fmt::format("builds the unique index of partition {} ({}) while reads and writes "
                          "go on",
                          p.name.Display(), RowsText(p.rows, true));
  plan.steps.push_back(build);
  Step attach = on;
  attach.kind = StepKind::kSql;
  attach.sql = fmt::format("ALTER TABLE {} ADD CONSTRAINT {} {} USING INDEX {}", p.quoted,
                           QuoteIdent(name), kind, QuoteIdent(name));
  attach.lock = sql::Lock::kAccessExclusive;
  attach.new_transaction = true;
  attach.why = "the partition's constraint over the valid index: a catalog change";
  plan.steps.push_back(attach);
}

// ChooseConstraintName: <table>_<columns>_fkey, numbered while a constraint has the name.
Result<std::string> ForeignKeyName(const sql::Classified& c, const sql::Command& cmd,
                                   const TableFacts& facts) {
  if (!cmd.object_name.empty()) return cmd.object_name;
  std::vector<std::string> used;
  for (const auto& [column, detail] : facts.details) {
    for (const auto& u : detail.used_by) {
      if (u.rfind("constraint ", 0) == 0) used.push_back(u.substr(11));
    }
  }
  return ChooseName(c.table.name, Join(cmd.columns, "_"), "fkey",
                    [&](const std::string& n) -> Result<bool> {
                      return std::find(used.begin(), used.end(), n) != used.end();
                    });
}

// A leaf partition's key: added NOT VALID, then validated in its own transaction.
void AppendKeyOfPartition(Step add, const PartitionFacts& p, const std::string& name,
                          Plan& plan) {
  add.kind = StepKind::kAddConstraintNotValid;
  add.sql += " NOT VALID";
  add.object_name = name;
  add.why = fmt::format("the key on partition {}, NOT VALID: new rows are checked at once",
                        p.name.Display());
  plan.steps.push_back(add);
  plan.steps.push_back(ValidateAfter(add, p.quoted, name, p.rows,
                                     "checks the partition's rows without blocking reads or "
                                     "writes"));
}

}  // namespace

Status PlanPartitionedUnique(Catalog& catalog, const sql::Classified& c, const sql::Command& cmd,
                             const std::string& head, const TableFacts& facts, Plan& plan,
                             const std::function<Status()>& prepare) {
  int index = static_cast<int>(c.index);
  std::string clause = cmd.text.empty() ? c.statement->text : head + " " + cmd.text;
  Step written = AsWritten(c, clause);
  written.lock = sql::Lock::kAccessExclusive;
  written.lock_tables = {facts.quoted};
  written.estimated_rows = facts.rows;
  auto as_written = [&](const std::string& why) {
    plan.notes.push_back({index, c.line(), "unique-partitioned-as-written", why});
    plan.steps.push_back(written);
    return Ok();
  };
  bool primary = cmd.constraint == sql::ConstraintType::kPrimaryKey;
  std::string kind = primary ? "PRIMARY KEY" : "UNIQUE";
  if (cmd.has_options || cmd.columns.empty() || cmd.deferrable || cmd.using_index) {
    return as_written("runs as written: tide builds the partitions' unique indexes itself only "
                      "for plain columns without options");
  }
  TIDE_ASSIGN(auto partitions, catalog.Partitions(c.table));
  TIDE_ASSIGN(auto why_not, UniqueRunsAsWritten(catalog, c, cmd, partitions));
  if (why_not) return as_written(*why_not);
  // A PRIMARY KEY's columns are made NOT NULL first, without a scan (a validated check).
  TIDE_TRY(prepare());
  std::string why = fmt::format(
      "ADD {} on the partitioned table {} ({}) builds every partition's index under ACCESS "
      "EXCLUSIVE; tide builds each partition's unique index concurrently, named as PostgreSQL "
      "names them, adds each partition's constraint USING INDEX, and the statement then only "
      "adopts them (a catalog change)",
      kind, c.table.Display(), RowsText(facts.rows, facts.known));
  plan.notes.push_back({index, c.line(), primary ? "primary-key-using-index" : "unique-using-index",
                        why});
  std::vector<std::string> cols;
  for (const auto& col : cmd.columns) cols.push_back(QuoteIdent(col));
  if (!partitions) {
    Step each = StepOn(c, c.table.Display(), facts.quoted);
    each.kind = StepKind::kCreateIndexConcurrently;
    each.sql = fmt::format("CREATE UNIQUE INDEX CONCURRENTLY <partition>_..._{} ON <each "
                           "partition of {}> ({})",
                           primary ? "pkey" : "key", facts.quoted, Join(cols, ", "));
    each.lock = sql::Lock::kShareUpdateExclusive;
    each.transactional = false;
    each.why = "each partition's unique index, built while reads and writes go on";
    plan.steps.push_back(each);
    plan.steps.push_back(written);
    return Ok();
  }
  std::map<std::string, std::set<std::string>> planned;
  auto taken = [&](const std::string& schema) {
    return [&, schema](const std::string& n) -> Result<bool> {
      if (planned[schema].count(n)) return true;
      return catalog.RelationExists(schema, n);
    };
  };
  std::string schema = facts.schema.empty() ? c.table.schema : facts.schema;
  std::string parent_name = cmd.object_name;
  if (parent_name.empty()) {
    TIDE_ASSIGN(parent_name,
                ConstraintIndexName(c.table.name, cmd.columns, primary, taken(schema)));
  }
  planned[schema].insert(parent_name);
  std::vector<Step> levels;  // the sub-partitioned levels' constraints, in pre-order
  for (const auto& p : *partitions) {
    TIDE_ASSIGN(std::string name,
                ConstraintIndexName(p.name.name, cmd.columns, primary, taken(p.name.schema)));
    planned[p.name.schema].insert(name);
    Step s = StepOn(c, p.name.Display(), p.quoted);
    s.estimated_rows = p.rows;
    if (p.partitioned) {
      s.kind = StepKind::kSql;
      s.sql = fmt::format("ALTER TABLE {} ADD CONSTRAINT {} {} ({})", p.quoted, QuoteIdent(name),
                          kind, Join(cols, ", "));
      s.lock = sql::Lock::kAccessExclusive;
      s.new_transaction = true;
      s.why = fmt::format("{} is partitioned too: its constraint adopts its partitions' (no "
                          "build)",
                          p.name.Display());
      levels.push_back(std::move(s));
      continue;
    }
    AppendUniqueOfPartition(s, p, name, kind, Join(cols, ", "), plan);
  }
  // Deepest first: a level's constraint adopts those of the partitions under it.
  for (auto it = levels.rbegin(); it != levels.rend(); ++it) plan.steps.push_back(*it);
  written.new_transaction = true;
  written.why = "adopts every partition's constraint: no build";
  plan.steps.push_back(written);
  return Ok();
}

Status PlanPartitionedForeignKey(Catalog& catalog, const sql::Classified& c,
                                 const sql::Command& cmd, const std::string& head,
                                 const TableFacts& facts, Plan& plan) {
  int index = static_cast<int>(c.index);
  std::string clause = cmd.text.empty() ? "" : cmd.text;
  Step written = AsWritten(c, cmd.text.empty() ? c.statement->text : head + " " + cmd.text);
  written.lock = sql::Lock::kShareRowExclusive;
  written.lock_tables = {facts.quoted};
  if (!cmd.referenced.empty()) written.lock_tables.push_back(cmd.referenced.Quoted());
  written.estimated_rows = facts.rows;
  auto as_written = [&](const std::string& why) {
    plan.notes.push_back({index, c.line(), "foreign-key-partitioned-as-written", why});
    plan.steps.push_back(written);
    return Ok();
  };
  size_t foreign = FindKeyword(clause, "foreign", 0);
  if (clause.empty() || foreign == std::string::npos || cmd.columns.empty()) {
    return as_written("runs as written: tide could not find the key's text in the clause");
  }
  std::string key_text = clause.substr(foreign);
  TIDE_ASSIGN(auto partitions, catalog.Partitions(c.table));
  TIDE_ASSIGN(std::string name, ForeignKeyName(c, cmd, facts));
  std::string named = fmt::format("{} ADD CONSTRAINT {} {}", head, QuoteIdent(name), key_text);
  std::string why = fmt::format(
      "ADD FOREIGN KEY on the partitioned table {} ({}) checks every row of every partition "
      "while it holds SHARE ROW EXCLUSIVE on them and on {}, and PostgreSQL refuses NOT VALID "
      "on a partitioned table: tide adds the key to each partition NOT VALID and validates it "
      "there (SHARE UPDATE EXCLUSIVE), then the statement only adopts them",
      c.table.Display(), RowsText(facts.rows, facts.known), cmd.referenced.Display());
  plan.notes.push_back({index, c.line(), "foreign-key-not-valid", why});
  if (!partitions) {
    Step each = written;
    each.kind = StepKind::kAddConstraintNotValid;
    each.sql = fmt::format("ALTER TABLE <each partition of {}> ADD CONSTRAINT {} {} NOT VALID",
                           facts.quoted, QuoteIdent(name), key_text);
    each.why = "then VALIDATE CONSTRAINT on each partition";
    plan.steps.push_back(each);
    written.sql = named;
    plan.steps.push_back(written);
    return Ok();
  }
  std::vector<Step> levels;
  for (const auto& p : *partitions) {
    if (p.foreign || p.detach_pending) {
      plan.notes.pop_back();
      return as_written(fmt::format("runs as written: {} is {}", p.name.Display(),
                                    p.foreign ? "a foreign table" : "being detached"));
    }
  }
  for (const auto& p : *partitions) {
    Step add = written;
    add.table = p.name.Display();
    add.lock_tables = {p.quoted};
    if (!cmd.referenced.empty()) add.lock_tables.push_back(cmd.referenced.Quoted());
    add.estimated_rows = p.rows;
    add.new_transaction = true;
    add.sql = fmt::format("ALTER TABLE {} ADD CONSTRAINT {} {}", p.quoted, QuoteIdent(name),
                          key_text);
    if (p.partitioned) {
      add.why = fmt::format("{} is partitioned too: its key adopts its partitions'",
                            p.name.Display());
      levels.push_back(std::move(add));
      continue;
    }
    AppendKeyOfPartition(std::move(add), p, name, plan);
  }
  for (auto it = levels.rbegin(); it != levels.rend(); ++it) plan.steps.push_back(*it);
  written.sql = named;
  written.new_transaction = true;
  written.why = "adopts every partition's validated key: no scan";
  plan.steps.push_back(written);
  return Ok();
}

}  // namespace tide::plan
