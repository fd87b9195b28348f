#include "ops/sync.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <map>

#include "base/strings.h"
#include "base/text.h"
#include "ops/expr.h"

namespace tide::ops {

namespace {

// A name of at most 63 bytes: cut, with a hash of the whole so that two long names differ.
std::string ShortName(const std::string& name) {
  if (name.size() <= 63) return name;
  uLong crc =
      crc32(0L, reinterpret_cast<const Bytef*>(name.data()), static_cast<uInt>(name.size()));
  return fmt::format("{}_{:08x}", name.substr(0, Utf8ClipLength(name, 54)),
                     static_cast<uint32_t>(crc));
}

// One expression as the trigger evaluates it.
struct Resolved {
  std::string column;                  // the physical column it computes, quoted
  std::string type;                    // that column's type
  std::string over_new;                // over NEW."..."
  std::string over_old;                // over OLD."...": its value before the write
  std::string probe;                   // over p."..."
  std::vector<std::string> inputs;     // physical columns it reads, quoted
  std::vector<std::string> exclusive;  // of those, the ones only the writing release can set
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

// Types with no equality operator are compared as text.
std::string Compare(const std::string& column, const std::string& type, bool changed) {
  static const char* kNoEquality[] = {"json", "xml",  "point",   "line",
                                      "lseg", "path", "polygon", "circle"};
  std::string base = ToLower(type.substr(0, type.find('(')));
  const char* op = changed ? "IS DISTINCT FROM" : "IS NOT DISTINCT FROM";
  for (const char* t : kNoEquality) {
    if (base == t || base == std::string(t) + "[]") {
      return fmt::format("NEW.{0}::text {1} OLD.{0}::text", column, op);
    }
  }
  return fmt::format("NEW.{0} {1} OLD.{0}", column, op);
}

std::string Changed(const std::string& column, const std::string& type) {
  return Compare(column, type, true);
}

std::string AnyOf(const std::vector<std::string>& parts) {
  return parts.empty() ? "false" : "(" + Join(parts, " OR ") + ")";
}

class Body {
 public:
  Body(std::map<std::string, std::string> types) : types_(std::move(types)) {}

  std::string AnyChanged(const std::vector<std::string>& columns) const {
    std::vector<std::string> parts;
    for (const auto& c : columns) parts.push_back(Changed(c, TypeOf(c)));
    return AnyOf(parts);
  }
  std::string TypeOf(const std::string& column) const {
    auto it = types_.find(column);
    return it == types_.end() ? "" : it->second;
  }

  // UPDATE: a column the statement wrote keeps that value. One it did not write follows its
  // expression when an input changed: always when the input is one only the other release can
  // write, else only when the column still held the expression's value (nobody had set it).
  std::string Follow(const Resolved& r, bool fill_null) const {
    std::string derived =
        fmt::format("NEW.{} IS NOT DISTINCT FROM CAST(({}) AS {})", r.column, r.over_old, r.type);
    std::string when;
    if (r.inputs.empty()) {
      when = "false";  // a constant: computed once, on INSERT
    } else if (r.exclusive.size() == r.inputs.size()) {
      when = AnyChanged(r.inputs);
    } else if (r.exclusive.empty()) {
      when = fmt::format("{} AND {}", AnyChanged(r.inputs), derived);
    } else {
      when =
          fmt::format("{} AND ({} OR {})", AnyChanged(r.inputs), AnyChanged(r.exclusive), derived);
    }
    if (fill_null) when = fmt::format("NEW.{} IS NULL OR ({})", r.column, when);
    if (when == "false") return "";
    return fmt::format("  IF {} AND ({}) THEN\n    NEW.{} := {};\n  END IF;\n",
                       Compare(r.column, r.type, false), when, r.column, r.over_new);
  }

 private:
  std::map<std::string, std::string> types_;
};

std::string Assign(const std::vector<Resolved>& items, const std::string& indent) {
  std::string out;
  for (const auto& r : items) out += fmt::format("{}NEW.{} := {};\n", indent, r.column, r.over_new);
  return out.empty() ? indent + "NULL;\n" : out;
}

// INSERT: a new-shape column that is set means the new release wrote the row (the old one
// cannot see those columns); then down computes the old release's columns, else up the new
// release's. With no new-shape columns, an old column left NULL is computed from down.
// UPDATE: see Body::Follow. Downs first, from the values as written; then ups (the backfill's
// no-op touch only fills the new columns still NULL).
std::string FunctionBody(const Body& body, const std::vector<Resolved>& ups,
                         const std::vector<Resolved>& downs,
                         const std::vector<std::string>& new_cols) {
  std::string out = "  IF TG_OP = 'INSERT' THEN\n";
  if (new_cols.empty()) {
    for (const auto& d : downs) {
      out += fmt::format("    IF NEW.{0} IS NULL THEN\n      NEW.{0} := {1};\n    END IF;\n",
                         d.column, d.over_new);
    }
  } else {
    std::vector<std::string> set;
    for (const auto& c : new_cols) set.push_back(fmt::format("NEW.{} IS NOT NULL", c));
    out += fmt::format(
        "    IF {} THEN  -- the new release wrote it\n{}    ELSE  -- the old release\n{}"
        "    END IF;\n",
        AnyOf(set), Assign(downs, "      "), Assign(ups, "      "));
  }
  out += "    RETURN NEW;\n  END IF;\n";
  for (const auto& d : downs) out += body.Follow(d, false);
  for (const auto& u : ups) out += body.Follow(u, true);
  return out + "  RETURN NEW;\n";
}

// What the trigger works with: the columns each side alone can write, and each expression
// resolved to the physical columns.
struct Resolution {
  std::vector<std::string> new_cols;  // new-shape columns the old release cannot write
  std::vector<std::string> old_only;  // old columns the new release cannot write
  std::string probe_source;           // a row as the trigger sees it, for the probes
  std::vector<Resolved> ups, downs;
  std::vector<Probe> probes;
};

Status ResolveOne(const TableShape& t, const Expr& e, bool old_shape, const std::string& column,
                  const std::string& type, const std::string& what, Resolution& res,
                  std::vector<Resolved>& into) {
  Resolved r;
  r.column = QuoteIdent(column);
  r.type = type;
  TIDE_ASSIGN(r.over_new, Rewrite(t, e, old_shape, "NEW.", what));
  TIDE_ASSIGN(r.over_old, Rewrite(t, e, old_shape, "OLD.", what));
  TIDE_ASSIGN(r.probe, Rewrite(t, e, old_shape, "p.", what));
  // Inputs only the writing release can set: old-only columns for up, new ones for down.
  const std::vector<std::string>& only = old_shape ? res.old_only : res.new_cols;
  for (const auto& name : e.columns) {
    auto physical = old_shape ? OldShapeColumn(t, name, "") : NewShapeColumn(t, name, "");
    if (!physical) continue;
    r.inputs.push_back(*physical);
    if (std::find(only.begin(), only.end(), *physical) != only.end()) {
      r.exclusive.push_back(*physical);
    }
  }
  res.probes.push_back(
      {fmt::format("SELECT CAST(({}) AS {}) FROM {} LIMIT 0", r.probe, type, res.probe_source),
       e.at, what});
  into.push_back(std::move(r));
  return Ok();
}

Result<Resolution> Resolve(const OpContext& ctx, const TableShape& t) {
  Resolution res;
  std::vector<std::string> added_nulls;
  for (const auto& c : t.columns) {
    if (!c.added && !c.replaced) continue;
    res.new_cols.push_back(QuoteIdent(c.physical));
    added_nulls.push_back(fmt::format("NULL::{} AS {}", c.type, QuoteIdent(c.physical)));
  }
  for (const auto& o : t.old_columns) {
    bool kept = std::any_of(t.columns.begin(), t.columns.end(),
                            [&](const ShapeColumn& c) { return c.physical == o; });
    if (!kept) res.old_only.push_back(QuoteIdent(o));
  }
  std::string q = ctx.Qualified(t);
  res.probe_source = added_nulls.empty() ? fmt::format("{} AS p", q)
                                         : fmt::format("(SELECT t.*, {} FROM {} AS t) AS p",
                                                       Join(added_nulls, ", "), q);
  for (const auto& pair : t.sync) {
    if (pair.up && !pair.new_column.empty()) {
      TIDE_TRY(ResolveOne(t, *pair.up, true, pair.new_column, pair.new_type,
                          fmt::format("up of {}.{}", t.name, pair.new_column), res, res.ups));
    }
    if (pair.down && !pair.old_column.empty()) {
      TIDE_TRY(ResolveOne(t, *pair.down, false, pair.old_column, pair.old_type,
                          fmt::format("down of {}.{}", t.physical, pair.old_column), res,
                          res.downs));
    }
  }
  if (t.created) res.probes.clear();  // nothing to read before the table exists
  return res;
}

// The function, its two triggers (created before the backfill) and their removal.
void TriggerSteps(const OpContext& ctx, const TableShape& t, const std::string& tag,
                  const Resolution& res, SyncPlan& out) {
  std::string q = ctx.Qualified(t);
  std::string function =
      QuoteQualified(ctx.schema, ShortName("_tide_sync_" + tag + "_" + t.physical));
  std::map<std::string, std::string> types;
  for (const auto& c : t.facts.columns) {
    plan::ColumnDetail d = t.facts.Detail(c.name);
    types[QuoteIdent(c.name)] = d.type_sql.empty() ? c.type.ToString() : d.type_sql;
  }
  for (const auto& c : t.columns) types[QuoteIdent(c.physical)] = c.type;
  Body body(types);
  std::string create_function = fmt::format(
      "CREATE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS $tide$\n"
      "-- tide: keeps the old and the new shape of {} in sync while both releases run\n"
      "BEGIN\n{}END\n$tide$",
      function, t.name, FunctionBody(body, res.ups, res.downs, res.new_cols));
  // An UPDATE that changes no input of any expression (and leaves no new column NULL) has
  // nothing to sync: the WHEN clause, evaluated without calling the function, skips it.
  std::vector<std::string> inputs, when;
  for (const auto* list : {&res.ups, &res.downs}) {
    for (const auto& r : *list) {
      for (const auto& c : r.inputs) {
        if (std::find(inputs.begin(), inputs.end(), c) == inputs.end()) inputs.push_back(c);
      }
    }
  }
  for (const auto& c : inputs) when.push_back(Changed(c, body.TypeOf(c)));
  for (const auto& u : res.ups) when.push_back(fmt::format("NEW.{} IS NULL", u.column));
  std::string insert_trigger = QuoteIdent("_tide_sync_" + tag + "_insert");
  std::string update_trigger = QuoteIdent("_tide_sync_" + tag + "_update");
  std::vector<std::string> create = {
      fmt::format("CREATE TRIGGER {} BEFORE INSERT ON {} FOR EACH ROW EXECUTE FUNCTION {}()",
                  insert_trigger, q, function)};
  if (!when.empty()) {
    create.push_back(
        fmt::format("CREATE TRIGGER {} BEFORE UPDATE ON {} FOR EACH ROW WHEN ({}) "
                    "EXECUTE FUNCTION {}()",
                    update_trigger, q, Join(when, " OR "), function));
  }
  SourceLocation at{ctx.file, 0, 0};
  // The function first, on its own: the transaction that holds the table's ACCESS EXCLUSIVE
  // lock then only adds the columns and the triggers.
  plan::Step f = Plain(create_function, at, "the sync trigger's function (no table lock)");
  f.table = t.physical;
  f.own_transaction = true;
  out.expand.push_back({Stage::kPrepare, f});
  for (const auto& sql : create) {
    plan::Step trg = Ddl(ctx, t, sql, sql::Lock::kShareRowExclusive, at,
                         "created before the backfill: every write from now on is kept in sync");
    trg.statement = -1;
    out.expand.push_back({Stage::kSync, trg});
  }
  for (auto* list : {&out.contract, &out.rollback}) {
    plan::Step drop = Ddl(ctx, t,
                          fmt::format("DROP TRIGGER IF EXISTS {1} ON {0};\n"
                                      "DROP TRIGGER IF EXISTS {2} ON {0}",
                                      q, insert_trigger, update_trigger),
                          sql::Lock::kAccessExclusive, at, "the sync triggers go");
    drop.statement = -1;
    list->push_back({Stage::kSync, drop});
    list->push_back({Stage::kSync, Plain(fmt::format("DROP FUNCTION IF EXISTS {}()", function), at,
                                         "with their function")});
  }
}

// The backfill: a batched no-op UPDATE of the rows whose new columns are still NULL; the
// trigger computes them. Rows inserted once the trigger exists are filled by it, so the walk
// stops at the end the table had when it started.
plan::Step BackfillStep(const OpContext& ctx, const TableShape& t, const Resolution& res) {
  std::string q = ctx.Qualified(t);
  plan::BackfillSpec spec;
  spec.table = q;
  std::vector<std::string> guard, names;
  for (const auto& r : res.ups) guard.push_back(r.column + " IS NULL");
  for (const auto& p : t.sync) {
    if (p.up && !p.new_column.empty()) names.push_back(p.new_column);
  }
  spec.label = fmt::format("{}.{}", t.name, Join(names, ","));
  for (const auto& k : t.facts.key) spec.key.push_back(QuoteIdent(k));
  spec.key_types = t.facts.key_types;
  spec.head = fmt::format("UPDATE {} SET {} = {}", q, res.ups[0].column, res.ups[0].column);
  spec.guard = Join(guard, " OR ");
  spec.live_end = false;
  plan::Step s;
  s.kind = plan::StepKind::kBackfill;
  s.table = t.physical;
  s.lock_tables = {q};
  s.lock = sql::Lock::kRowExclusive;
  s.transactional = false;
  s.estimated_rows = t.facts.rows;
  std::string range = spec.key.empty()
                          ? "ctid >= $1 AND ctid < $2"
                          : fmt::format("{0} > $1 AND {0} <= $2", Join(spec.key, ", "));
  s.sql = fmt::format("{} WHERE ({}) AND {}", spec.head, spec.guard, range);
  s.why =
      "a no-op UPDATE of the rows not yet filled, in batches: the sync trigger computes up for "
      "each, so the backfill and the old release's writes agree";
  s.backfill = std::move(spec);
  return s;
}

}  // namespace

Result<SyncPlan> PlanSync(const OpContext& ctx, const TableShape& t, const std::string& tag) {
  SyncPlan out;
  if (t.sync.empty() || t.dropped) return out;
  TIDE_ASSIGN(Resolution res, Resolve(ctx, t));
  out.probes = res.probes;
  TriggerSteps(ctx, t, tag, res, out);
  if (!res.ups.empty() && !t.created) {
    out.expand.push_back({Stage::kBackfill, BackfillStep(ctx, t, res)});
  }
  return out;
}

}  // namespace tide::ops
