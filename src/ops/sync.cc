#include "ops/sync.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>

#include "base/strings.h"
#include "ops/expr.h"

namespace tide::ops {

namespace {

// A name of at most 63 bytes: cut, with a hash of the whole so that two long names differ.
std::string ShortName(const std::string& name) {
  if (name.size() <= 63) return name;
  uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(name.data()),
                    static_cast<uInt>(name.size()));
  return fmt::format("{}_{:08x}", name.substr(0, 54), static_cast<uint32_t>(crc));
}

struct Resolved {
  std::string column;  // physical, quoted
  std::string trigger_expr;  // over NEW."..."
  std::string probe_expr;    // over p."..."
  std::string type;
};

Result<std::string> Rewrite(const TableShape& t, const Expr& e, bool old_shape,
                            const std::string& prefix, const std::string& what) {
  auto out = RewriteColumns(e.text, [&](const std::string& name) {
    return old_shape ? OldShapeColumn(t, name, prefix) : NewShapeColumn(t, name, prefix);
  });
  if (out.ok()) return out;
  std::vector<std::string> names;
  if (old_shape) {
    names = t.old_columns;
  } else {
    for (const auto& c : t.columns) names.push_back(c.name);
  }
  return Error::Input(fmt::format("{}: {} in {}'s {} shape (its columns: {})", what,
                                  out.error().message(), t.name, old_shape ? "old" : "new",
                                  Join(names, ", ")))
      .At(e.at)
      .WithHint(old_shape ? "up reads a row as the old release wrote it: name the columns of "
                            "the table before this migration"
                          : "down reads a row as the new release wrote it: name the columns "
                            "as the new release sees them after this migration");
}

std::string AnyOf(const std::vector<std::string>& parts, const std::string& none) {
  return parts.empty() ? none : Join(parts, " OR ");
}

std::string Assignments(const std::vector<Resolved>& items, const std::string& indent) {
  std::string out;
  for (const auto& r : items) {
    out += fmt::format("{}NEW.{} := {};\n", indent, r.column, r.trigger_expr);
  }
  return out.empty() ? indent + "NULL;\n" : out;
}

std::string FunctionBody(const std::vector<Resolved>& ups, const std::vector<Resolved>& downs,
                         const std::vector<std::string>& new_cols,
                         const std::vector<std::string>& old_only) {
  if (new_cols.empty()) {
    std::string body;
    for (const auto& d : downs) {
      body += fmt::format("  IF NEW.{0} IS NULL THEN NEW.{0} := {1}; END IF;\n", d.column,
                          d.trigger_expr);
    }
    return body + "  RETURN NEW;\n";
  }
  std::vector<std::string> set, changed, old_changed;
  for (const auto& c : new_cols) {
    set.push_back(fmt::format("NEW.{} IS NOT NULL", c));
    changed.push_back(fmt::format("NEW.{0} IS DISTINCT FROM OLD.{0}", c));
  }
  for (const auto& c : old_only) old_changed.push_back(fmt::format("NEW.{0} IS DISTINCT FROM OLD.{0}", c));
  std::string fill;
  for (const auto& u : ups) {
    fill += fmt::format("    IF NEW.{0} IS NULL THEN NEW.{0} := {1}; END IF;\n", u.column,
                        u.trigger_expr);
  }
  if (fill.empty()) fill = "    NULL;\n";
  std::string body = fmt::format(
      "  IF TG_OP = 'INSERT' THEN\n"
      "    IF {} THEN  -- the new release wrote the row\n{}"
      "    ELSE  -- the old release did\n{}"
      "    END IF;\n"
      "  ELSIF {} THEN  -- the new release changed it\n"
      "    IF NOT ({}) THEN\n{}    END IF;\n",
      AnyOf(set, "false"), Assignments(downs, "      "), Assignments(ups, "      "),
      AnyOf(changed, "false"), AnyOf(old_changed, "false"), Assignments(downs, "      "));
  if (!old_changed.empty()) {
    body += fmt::format("  ELSIF {} THEN  -- the old release changed it\n{}",
                        AnyOf(old_changed, "false"), Assignments(ups, "    "));
  }
  body += "  ELSE  -- a touch (the backfill) or shared columns only\n" + fill + "  END IF;\n";
  return body + "  RETURN NEW;\n";
}

}  // namespace

Result<SyncPlan> PlanSync(const OpContext& ctx, const TableShape& t, const std::string& tag) {
  SyncPlan out;
  if (t.sync.empty() || t.dropped) return out;
  std::string q = ctx.Qualified(t);
  // New-shape columns the old release cannot write, and old columns the new one cannot.
  std::vector<std::string> new_cols, old_only, added_nulls;
  for (const auto& c : t.columns) {
    if (c.added || c.replaced) {
      new_cols.push_back(QuoteIdent(c.physical));
      added_nulls.push_back(fmt::format("NULL::{} AS {}", c.type, QuoteIdent(c.physical)));
    }
  }
  for (const auto& o : t.old_columns) {
    bool kept = std::any_of(t.columns.begin(), t.columns.end(),
                            [&](const ShapeColumn& c) { return c.physical == o; });
    if (!kept) old_only.push_back(QuoteIdent(o));
  }
  // The probes read a row with the new columns too, as the trigger will see it.
  std::string source = added_nulls.empty()
                           ? fmt::format("{} AS p", q)
                           : fmt::format("(SELECT t.*, {} FROM {} AS t) AS p",
                                         Join(added_nulls, ", "), q);
  std::vector<Resolved> ups, downs;
  auto resolve = [&](const Expr& e, bool old_shape, const std::string& column,
                     const std::string& type, const std::string& what,
                     std::vector<Resolved>& into) -> Status {
    TIDE_ASSIGN(std::string in_trigger, Rewrite(t, e, old_shape, "NEW.", what));
    TIDE_ASSIGN(std::string in_probe, Rewrite(t, e, old_shape, "p.", what));
    into.push_back({QuoteIdent(column), in_trigger, in_probe, type});
    out.probes.push_back(
        {fmt::format("SELECT CAST(({}) AS {}) FROM {} LIMIT 0", in_probe, type, source), e.at,
         what});
    return Ok();
  };
  for (const auto& pair : t.sync) {
    if (pair.up && !pair.new_column.empty()) {
      TIDE_TRY(resolve(*pair.up, true, pair.new_column, pair.new_type,
                       fmt::format("up of {}.{}", t.name, pair.new_column), ups));
    }
    if (pair.down && !pair.old_column.empty()) {
      TIDE_TRY(resolve(*pair.down, false, pair.old_column, pair.old_type,
                       fmt::format("down of {}.{}", t.physical, pair.old_column), downs));
    }
  }
  if (t.created) out.probes.clear();  // nothing to read before the table exists

  std::string function = QuoteQualified(ctx.schema, ShortName("_tide_sync_" + tag + "_" + t.physical));
  std::string trigger = QuoteIdent("_tide_sync_" + tag);
  std::string body = FunctionBody(ups, downs, new_cols, old_only);
  std::string create_function = fmt::format(
      "CREATE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS $tide$\n"
      "-- tide: keeps the old and the new shape of {} in sync while both releases run\n"
      "BEGIN\n{}END\n$tide$",
      function, t.name, body);
  std::string events = new_cols.empty() ? "INSERT" : "INSERT OR UPDATE";
  std::string create_trigger = fmt::format(
      "CREATE TRIGGER {} BEFORE {} ON {} FOR EACH ROW EXECUTE FUNCTION {}()", trigger, events, q,
      function);
  SourceLocation at{ctx.file, 0, 0};
  plan::Step f = Plain(create_function, at, "the sync trigger's function (no table lock)");
  f.table = t.physical;
  plan::Step trg = Ddl(ctx, t, create_trigger, sql::Lock::kShareRowExclusive, at,
                       "created before the backfill: every write from now on is kept in sync");
  trg.statement = -1;
  out.expand.push_back({Stage::kSync, f});
  out.expand.push_back({Stage::kSync, trg});
  for (auto* list : {&out.contract, &out.rollback}) {
    plan::Step drop = Ddl(ctx, t,
                          fmt::format("DROP TRIGGER IF EXISTS {} ON {}", trigger, q),
                          sql::Lock::kAccessExclusive, at, "the sync trigger goes");
    drop.statement = -1;
    list->push_back({Stage::kSync, drop});
    plan::Step drop_f = Plain(fmt::format("DROP FUNCTION IF EXISTS {}()", function), at,
                              "with its function");
    list->push_back({Stage::kSync, drop_f});
  }
  if (!ups.empty() && !t.created) {
    plan::BackfillSpec spec;
    spec.table = q;
    std::vector<std::string> filled, guard, names;
    for (const auto& r : ups) {
      filled.push_back(r.column);
      guard.push_back(r.column + " IS NULL");
    }
    for (const auto& p : t.sync) {
      if (p.up && !p.new_column.empty()) names.push_back(p.new_column);
    }
    spec.label = fmt::format("{}.{}", t.name, Join(names, ","));
    for (const auto& k : t.facts.key) spec.key.push_back(QuoteIdent(k));
    spec.key_types = t.facts.key_types;
    spec.head = fmt::format("UPDATE {} SET {} = {}", q, filled[0], filled[0]);
    spec.guard = Join(guard, " OR ");
    spec.live_end = false;  // rows inserted after the trigger exists are filled by it
    plan::Step s;
    s.kind = plan::StepKind::kBackfill;
    s.table = t.physical;
    s.lock_tables = {q};
    s.lock = sql::Lock::kRowExclusive;
    s.transactional = false;
    s.estimated_rows = t.facts.rows;
    std::string range = spec.key.empty() ? "ctid >= $1 AND ctid < $2"
                                         : fmt::format("{0} > $1 AND {0} <= $2", Join(spec.key, ", "));
    s.sql = fmt::format("{} WHERE ({}) AND {}", spec.head, spec.guard, range);
    s.why = "a no-op UPDATE of the rows not yet filled, in batches: the sync trigger computes "
            "up for each, so the backfill and the old release's writes agree";
    s.backfill = std::move(spec);
    out.expand.push_back({Stage::kBackfill, std::move(s)});
  }
  return out;
}

}  // namespace tide::ops
