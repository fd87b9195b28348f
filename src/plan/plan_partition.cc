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
#include "plan/names.h"
#include "plan/plan_partition.h"
#include "plan/planner.h"
#include "sql/sql_text.h"

namespace tide::plan {

namespace {

std::string RowsText(int64_t rows, bool known) {
  if (!known || rows < 0) return "rows counted when it runs";
  return fmt::format("{} rows", FormatCount(rows));
}

bool IdentByte(unsigned char ch) {
  return std::isalnum(ch) || ch == '_' || ch == '$' || ch >= 0x80;
}

// The end of the (possibly qualified, possibly quoted) name that starts at `at` in text.
size_t NameEnd(std::string_view text, size_t at) {
  size_t i = at;
  for (;;) {
    if (i < text.size() && text[i] == '"') {
      ++i;
      while (i < text.size()) {
        if (text[i] == '"' && i + 1 < text.size() && text[i + 1] == '"') {
          i += 2;
        } else if (text[i] == '"') {
          ++i;
          break;
        } else {
          ++i;
        }
      }
    } else {
      while (i < text.size() && IdentByte(static_cast<unsigned char>(text[i]))) ++i;
    }
    if (i < text.size() && text[i] == '.') {
      ++i;
      continue;
    }
    return i;
  }
}

// What follows the table's name in a CREATE INDEX: " USING btree (v) INCLUDE (w) WHERE ...".
std::optional<std::string> IndexTail(const sql::Classified& c) {
  const sql::Statement& st = *c.statement;
  const auto& rel = st.tree.contains("relation") ? st.tree["relation"] : nlohmann::json();
  if (!rel.is_object() || !rel.contains("location")) return std::nullopt;
  int64_t at = rel["location"].get<int64_t>() + static_cast<int64_t>(st.tree_base) -
               static_cast<int64_t>(st.offset);
  if (at <= 0 || static_cast<size_t>(at) >= st.text.size()) return std::nullopt;
  size_t end = NameEnd(st.text, static_cast<size_t>(at));
  if (end == static_cast<size_t>(at)) return std::nullopt;
  return st.text.substr(end);
}

// Top-level comma-separated items inside the parentheses that open at text[open].
std::optional<std::vector<std::string>> ParenItems(std::string_view text, size_t open,
                                                   size_t* close_out) {
  if (open >= text.size() || text[open] != '(') return std::nullopt;
  std::vector<std::string> items;
  int depth = 0;
  size_t start = open + 1;
  for (size_t i = open; i < text.size(); ++i) {
    char ch = text[i];
    if (ch == '\'' || ch == '"') {
      for (++i; i < text.size(); ++i) {
        if (text[i] == ch && i + 1 < text.size() && text[i + 1] == ch) {
          ++i;
        } else if (text[i] == ch) {
          break;
        }
      }
      continue;
    }
    if (ch == '(') {
      ++depth;
    } else if (ch == ')') {
      if (--depth == 0) {
        items.emplace_back(Trim(text.substr(start, i - start)));
        if (close_out) *close_out = i;
        return items;
      }
    } else if (ch == ',' && depth == 1) {
      items.emplace_back(Trim(text.substr(start, i - start)));
      start = i + 1;
    }
  }
  return std::nullopt;
}

// The first occurrence of keyword (lower case) in text outside quotes, as a word, from `from`.
size_t FindKeyword(std::string_view text, std::string_view keyword, size_t from) {
  std::string lower = ToLower(text);
  for (size_t i = from; i + keyword.size() <= text.size(); ++i) {
    char ch = text[i];
    if (ch == '\'' || ch == '"') {
      for (++i; i < text.size() && text[i] != ch; ++i) {
      }
      continue;
    }
    if (lower.compare(i, keyword.size(), keyword) != 0) continue;
    bool before = i == 0 || !IdentByte(static_cast<unsigned char>(text[i - 1]));
    size_t after = i + keyword.size();
    bool behind = after >= text.size() || !IdentByte(static_cast<unsigned char>(text[after]));
    if (before && behind) return i;
  }
  return std::string::npos;
}

size_t SkipSpace(std::string_view text, size_t i) {
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  return i;
}

// The CHECK that says what PostgreSQL's partition constraint says, for a list or range bound
// over one plain column: "" when tide cannot write it (hash, DEFAULT, several columns).
std::string BoundCheck(std::string_view clause, const std::vector<std::string>& key) {
  if (key.size() != 1) return "";
  std::string col = QuoteIdent(key[0]);
  size_t values = FindKeyword(clause, "values", 0);
  if (values == std::string::npos) return "";
  size_t in = FindKeyword(clause, "in", values);
  size_t from = FindKeyword(clause, "from", values);
  if (in != std::string::npos && (from == std::string::npos || in < from)) {
    auto items = ParenItems(clause, SkipSpace(clause, in + 2), nullptr);
    if (!items || items->empty()) return "";
    std::vector<std::string> rest;
    bool null_allowed = false;
    for (const auto& v : *items) {
      if (ToLower(v) == "null") {
        null_allowed = true;
      } else {
        rest.push_back(v);
      }
    }
    std::string in_list = rest.empty() ? "" : fmt::format("{} IN ({})", col, Join(rest, ", "));
    if (null_allowed) {
      return in_list.empty() ? col + " IS NULL" : fmt::format("{} IS NULL OR {}", col, in_list);
    }
    return fmt::format("{} IS NOT NULL AND {}", col, in_list);
  }
  if (from == std::string::npos) return "";
  size_t close = 0;
  auto lower = ParenItems(clause, SkipSpace(clause, from + 4), &close);
  size_t to = lower ? FindKeyword(clause, "to", close) : std::string::npos;
  if (!lower || to == std::string::npos) return "";
  auto upper = ParenItems(clause, SkipSpace(clause, to + 2), nullptr);
  if (!upper || lower->size() != 1 || upper->size() != 1) return "";
  std::string out = col + " IS NOT NULL";
  if (ToLower(lower->front()) != "minvalue") out += fmt::format(" AND {} >= {}", col, lower->front());
  if (ToLower(upper->front()) != "maxvalue") out += fmt::format(" AND {} < {}", col, upper->front());
  return out;
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
    for (const auto& p : *partitions) {
      if (p.foreign) {
        return as_written(fmt::format("runs as written: {} is a foreign table, which PostgreSQL "
                                      "gives no index of this kind",
                                      p.name.Display()));
      }
      if (p.detach_pending) {
        return as_written(fmt::format("runs as written: {} is being detached (an unfinished "
                                      "DETACH ... CONCURRENTLY); finish it with FINALIZE first",
                                      p.name.Display()));
      }
      bool keys_covered = !p.key_has_expressions;
      for (const auto& k : p.key_columns) {
        keys_covered = keys_covered &&
                       std::find(cmd.columns.begin(), cmd.columns.end(), k) != cmd.columns.end();
      }
      if (cmd.unique && p.partitioned && !keys_covered) {
        // PostgreSQL refuses it; as written it fails before changing anything, as a plain run.
        return as_written(fmt::format("runs as written: a unique index must include the "
                                      "partition key of {} too, which PostgreSQL checks",
                                      p.name.Display()));
      }
    }
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
  Step only;
  only.kind = StepKind::kSql;
  only.sql = fmt::format("CREATE {}INDEX {} ON ONLY {}{}", unique, QuoteIdent(name), facts.quoted,
                         *tail);
  only.table = c.table.Display();
  only.lock_tables = {facts.quoted};
  only.lock = sql::Lock::kShare;
  only.statement = index;
  only.line = c.line();
  only.column = c.statement->column;
  only.object_name = name;
  only.why = "the parent's index, invalid until every partition's index is attached: a catalog "
             "change, no build";
  plan.steps.push_back(only);
  if (!partitions) {
    // Offline: the partitions are read from the catalog when it runs.
    Step each = only;
    each.kind = StepKind::kCreateIndexConcurrently;
    each.sql = fmt::format("CREATE {}INDEX CONCURRENTLY <partition>_..._idx ON <each partition "
                           "of {}>{}",
                           unique, facts.quoted, *tail);
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
    return Ok();
  }
  // The indexes of the partitioned levels, by the table they index (to attach children to).
  std::map<std::string, std::string> level_index = {{QuoteQualified(facts.schema, c.table.name),
                                                     parent_index}};
  for (const auto& p : *partitions) {
    std::string part_schema = p.name.schema;
    TIDE_ASSIGN(std::string child,
                IndexName(p.name.name, cmd.index_column_names, chooser(part_schema)));
    planned[part_schema].insert(child);
    std::string child_index = QuoteQualified(part_schema, child);
    auto parent_it = level_index.find(QuoteQualified(p.parent.schema, p.parent.name));
    if (parent_it == level_index.end()) {
      return Error::Internal(fmt::format("partition {} of {} came before its parent",
                                         p.name.Display(), p.parent.Display()));
    }
    Step build;
    build.table = p.name.Display();
    build.lock_tables = {p.quoted};
    build.statement = index;
    build.line = c.line();
    build.column = c.statement->column;
    build.object_name = child;
    build.estimated_rows = p.rows;
    if (p.partitioned) {
      build.kind = StepKind::kSql;
      build.sql = fmt::format("CREATE {}INDEX {} ON ONLY {}{}", unique, QuoteIdent(child),
                              p.quoted, *tail);
      build.lock = sql::Lock::kShare;
      build.why = fmt::format("{} is partitioned too: its index ON ONLY, then its partitions'",
                              p.name.Display());
      level_index[QuoteQualified(p.name.schema, p.name.name)] = child_index;
    } else {
      build.kind = StepKind::kCreateIndexConcurrently;
      build.sql = fmt::format("CREATE {}INDEX CONCURRENTLY {} ON {}{}", unique,
                              QuoteIdent(child), p.quoted, *tail);
      build.lock = sql::Lock::kShareUpdateExclusive;
      build.transactional = false;
      build.why = fmt::format("builds the index of partition {} ({}) while reads and writes go "
                              "on",
                              p.name.Display(), RowsText(p.rows, true));
    }
    plan.steps.push_back(build);
    Step attach;
    attach.kind = StepKind::kSql;
    attach.sql = fmt::format("ALTER INDEX {} ATTACH PARTITION {}", parent_it->second, child_index);
    attach.table = p.name.Display();
    attach.lock_tables = {p.quoted};
    attach.lock = sql::Lock::kAccessExclusive;
    attach.statement = index;
    attach.line = c.line();
    attach.column = c.statement->column;
    attach.new_transaction = true;
    attach.why = "a catalog change: ACCESS EXCLUSIVE on the new index only (queries planning on "
                 "the partition wait a moment)";
    plan.steps.push_back(attach);
  }
  return Ok();
}

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
  // The default partition is scanned too, to prove none of its rows belong to the new one.
  if (parent.exists) {
    TIDE_ASSIGN(auto partitions, catalog_.Partitions(c.table));
    if (partitions) {
      for (const auto& p : *partitions) {
        if (p.level != 1 || !p.is_default || p.rows <= options_.small_table_rows) continue;
        plan.notes.push_back(
            {index, c.line(), "attach-partition-default-scan",
             fmt::format("ATTACH PARTITION also scans the default partition {} ({}) under ACCESS "
                         "EXCLUSIVE, to prove that none of its rows belong to {}: reads and "
                         "writes of {} wait meanwhile (a validated CHECK on {} that excludes the "
                         "new bound lets PostgreSQL skip it)",
                         p.name.Display(), RowsText(p.rows, true), cmd.partition.Display(),
                         p.name.Display(), p.name.Display())});
        as_written.lock_tables.push_back(p.quoted);
      }
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
  std::string name = TemporaryBoundCheckName(cmd.partition.name);
  std::string qname = QuoteIdent(name);
  std::string why = fmt::format(
      "ATTACH PARTITION scans {} ({}) under ACCESS EXCLUSIVE to check that its rows fit the "
      "bound; a validated CHECK saying the same lets PostgreSQL skip the scan: tide adds it NOT "
      "VALID, validates it under SHARE UPDATE EXCLUSIVE (reads and writes go on), attaches, and "
      "drops it",
      cmd.partition.Display(), RowsText(part.rows, part.known));
  plan.notes.push_back({index, c.line(), "attach-partition-via-check", why});
  Step add;
  add.kind = StepKind::kAddConstraintNotValid;
  add.sql = fmt::format("ALTER TABLE {0} DROP CONSTRAINT IF EXISTS {1}, ADD CONSTRAINT {1} CHECK "
                        "({2}) NOT VALID",
                        part.quoted, qname, check);
  add.table = cmd.partition.Display();
  add.lock_tables = {part.quoted};
  add.lock = sql::Lock::kAccessExclusive;
  add.statement = index;
  add.line = c.line();
  add.column = c.statement->column;
  add.object_name = name;
  add.why = why;
  plan.steps.push_back(add);
  Step validate = add;
  validate.kind = StepKind::kValidateConstraint;
  validate.sql = fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {}", part.quoted, qname);
  validate.lock = sql::Lock::kShareUpdateExclusive;
  validate.own_transaction = true;
  validate.estimated_rows = part.rows;
  validate.why = "checks the partition's rows without blocking reads or writes";
  plan.steps.push_back(validate);
  as_written.why = "no scan of the partition: the validated check proves its rows fit";
  as_written.new_transaction = true;
  plan.steps.push_back(as_written);
  Step drop = add;
  drop.kind = StepKind::kSql;
  drop.sql = fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", part.quoted, qname);
  drop.object_name.clear();
  drop.why = "tide's temporary check is no longer needed";
  plan.steps.push_back(drop);
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

namespace tide::plan {

Status PlanPartitionedUnique(Catalog& catalog, const sql::Classified& c, const sql::Command& cmd,
                             const std::string& head, const TableFacts& facts, Plan& plan) {
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
  if (cmd.constraint == sql::ConstraintType::kPrimaryKey) {
    return as_written("runs as written: a PRIMARY KEY on a partitioned table also makes its "
                      "columns NOT NULL in every partition, which tide does not split yet");
  }
  if (cmd.has_options || cmd.columns.empty() || cmd.deferrable || cmd.using_index) {
    return as_written("runs as written: tide builds the partitions' unique indexes itself only "
                      "for plain columns without options");
  }
  TIDE_ASSIGN(auto partitions, catalog.Partitions(c.table));
  auto covers = [&](const std::vector<std::string>& key) {
    for (const auto& k : key) {
      if (std::find(cmd.columns.begin(), cmd.columns.end(), k) == cmd.columns.end()) return false;
    }
    return true;
  };
  if (catalog.online()) {
    TIDE_ASSIGN(auto key, catalog.PartitionKey(c.table));
    if (key.empty() || !covers(key)) {
      return as_written("runs as written: PostgreSQL refuses a unique constraint that does not "
                        "hold the partition key (or a key with expressions), before it changes "
                        "anything");
    }
  }
  std::string why = fmt::format(
      "ADD UNIQUE on the partitioned table {} ({}) builds every partition's index under ACCESS "
      "EXCLUSIVE; tide builds each partition's unique index concurrently, named as PostgreSQL "
      "names them, adds each partition's constraint USING INDEX, and the statement then only "
      "adopts them (a catalog change)",
      c.table.Display(), RowsText(facts.rows, facts.known));
  plan.notes.push_back({index, c.line(), "unique-using-index", why});
  std::vector<std::string> cols;
  for (const auto& col : cmd.columns) cols.push_back(QuoteIdent(col));
  if (!partitions) {
    Step each;
    each.kind = StepKind::kCreateIndexConcurrently;
    each.sql = fmt::format("CREATE UNIQUE INDEX CONCURRENTLY <partition>_..._key ON <each "
                           "partition of {}> ({})",
                           facts.quoted, Join(cols, ", "));
    each.table = c.table.Display();
    each.lock_tables = {facts.quoted};
    each.lock = sql::Lock::kShareUpdateExclusive;
    each.transactional = false;
    each.statement = index;
    each.line = c.line();
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
    TIDE_ASSIGN(parent_name, ConstraintIndexName(c.table.name, cmd.columns, false, taken(schema)));
  }
  planned[schema].insert(parent_name);
  std::vector<Step> levels;  // the sub-partitioned levels' constraints, in pre-order
  for (const auto& p : *partitions) {
    if (p.foreign || p.detach_pending) {
      plan.notes.pop_back();
      return as_written(fmt::format("runs as written: {} is {}", p.name.Display(),
                                    p.foreign ? "a foreign table" : "being detached"));
    }
    if (p.partitioned && (p.key_has_expressions || !covers(p.key_columns))) {
      plan.notes.pop_back();
      return as_written(fmt::format("runs as written: a unique constraint must hold the "
                                    "partition key of {} too, which PostgreSQL checks",
                                    p.name.Display()));
    }
  }
  for (const auto& p : *partitions) {
    TIDE_ASSIGN(std::string name,
                ConstraintIndexName(p.name.name, cmd.columns, false, taken(p.name.schema)));
    planned[p.name.schema].insert(name);
    Step s;
    s.table = p.name.Display();
    s.lock_tables = {p.quoted};
    s.statement = index;
    s.line = c.line();
    s.column = c.statement->column;
    s.estimated_rows = p.rows;
    if (p.partitioned) {
      s.kind = StepKind::kSql;
      s.sql = fmt::format("ALTER TABLE {} ADD CONSTRAINT {} UNIQUE ({})", p.quoted,
                          QuoteIdent(name), Join(cols, ", "));
      s.lock = sql::Lock::kAccessExclusive;
      s.new_transaction = true;
      s.why = fmt::format("{} is partitioned too: its constraint adopts its partitions' (no "
                          "build)",
                          p.name.Display());
      levels.push_back(std::move(s));
      continue;
    }
    Step build = s;
    build.kind = StepKind::kCreateIndexConcurrently;
    build.sql = fmt::format("CREATE UNIQUE INDEX CONCURRENTLY {} ON {} ({})", QuoteIdent(name),
                            p.quoted, Join(cols, ", "));
    build.lock = sql::Lock::kShareUpdateExclusive;
    build.transactional = false;
    build.object_name = name;
    build.why = fmt::format("builds the unique index of partition {} ({}) while reads and writes "
                            "go on",
                            p.name.Display(), RowsText(p.rows, true));
    plan.steps.push_back(build);
    Step attach = s;
    attach.kind = StepKind::kSql;
    attach.sql = fmt::format("ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {}", p.quoted,
                             QuoteIdent(name), QuoteIdent(name));
    attach.lock = sql::Lock::kAccessExclusive;
    attach.new_transaction = true;
    attach.why = "the partition's constraint over the valid index: a catalog change";
    plan.steps.push_back(attach);
  }
  // Deepest first: a level's constraint adopts those of the partitions under it.
  for (auto it = levels.rbegin(); it != levels.rend(); ++it) plan.steps.push_back(*it);
  written.new_transaction = true;
  written.why = "adopts every partition's constraint: no build";
  plan.steps.push_back(written);
  return Ok();
}

}  // namespace tide::plan

namespace tide::plan {

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
  std::string name = cmd.object_name;
  if (name.empty()) {
    // ChooseConstraintName: <table>_<columns>_fkey, numbered while a constraint has the name.
    std::vector<std::string> used;
    for (const auto& [column, detail] : facts.details) {
      for (const auto& u : detail.used_by) {
        if (u.rfind("constraint ", 0) == 0) used.push_back(u.substr(11));
      }
    }
    TIDE_ASSIGN(name, ChooseName(c.table.name, Join(cmd.columns, "_"), "fkey",
                                 [&](const std::string& n) -> Result<bool> {
                                   return std::find(used.begin(), used.end(), n) != used.end();
                                 }));
  }
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
    add.kind = StepKind::kAddConstraintNotValid;
    add.sql += " NOT VALID";
    add.object_name = name;
    add.why = fmt::format("the key on partition {}, NOT VALID: new rows are checked at once",
                          p.name.Display());
    plan.steps.push_back(add);
    Step validate = add;
    validate.kind = StepKind::kValidateConstraint;
    validate.sql = fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {}", p.quoted,
                               QuoteIdent(name));
    validate.lock = sql::Lock::kShareUpdateExclusive;
    validate.own_transaction = true;
    validate.new_transaction = false;
    validate.why = "checks the partition's rows without blocking reads or writes";
    plan.steps.push_back(validate);
  }
  for (auto it = levels.rbegin(); it != levels.rend(); ++it) plan.steps.push_back(*it);
  written.sql = named;
  written.new_transaction = true;
  written.why = "adopts every partition's validated key: no scan";
  plan.steps.push_back(written);
  return Ok();
}

}  // namespace tide::plan
