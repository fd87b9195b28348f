#include "ops/declarative.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

#include "base/strings.h"
#include "ops/operations.h"
#include "ops/views.h"

namespace tide::ops {

namespace {

std::vector<std::string> KindNames() {
  std::vector<std::string> out;
  for (const auto& k : OperationKinds()) out.push_back(k.name);
  return out;
}

Result<std::unique_ptr<Operation>> LoadOperation(const YAML::Node& item, const std::string& file,
                                                 size_t index) {
  std::string hint = "each item is one operation: - add_column: {table: ..., ...}; operations: " +
                     Join(KindNames(), ", ");
  if (!item.IsMap() || item.size() != 1) {
    return Error::Input(fmt::format("operation {} must be a map with exactly one key, the "
                                    "operation's name",
                                    index + 1))
        .At(LocationOf(item, file))
        .WithHint(hint);
  }
  auto entry = item.begin();
  std::string name = entry->first.IsScalar() ? entry->first.as<std::string>() : "?";
  for (const auto& k : OperationKinds()) {
    if (name != k.name) continue;
    TIDE_ASSIGN(Fields fields, Fields::Of(entry->second, file, name));
    TIDE_ASSIGN(auto op, k.parse(fields));
    op->at = LocationOf(entry->first, file);
    return op;
  }
  return Error::Input(fmt::format("unknown operation '{}'", name))
      .At(LocationOf(entry->first, file))
      .WithHint("the operations are: " + Join(KindNames(), ", "));
}

// Orders each list: by stage (per list), then by operation; a stage's steps keep the order in
// which their operation listed them.
struct Ranked {
  int rank;
  int op;
  size_t seq;
  plan::Step step;
};

int Rank(Stage stage, int list) {
  static const int kExpand[] = {1, 2, 3, 4, 5, 6, 0};    // as declared, kPrepare first
  static const int kContract[] = {2, 1, 5, 4, 0, 3, 6};  // VALIDATE, trigger, structure, views
  static const int kRollback[] = {5, 4, 3, 2, 1, 0, 6};  // the expand, backwards
  int i = static_cast<int>(stage);
  return list == 0 ? kExpand[i] : list == 1 ? kContract[i] : kRollback[i];
}

plan::Plan Assemble(std::vector<Ranked> steps, bool backwards) {
  std::stable_sort(steps.begin(), steps.end(), [&](const Ranked& a, const Ranked& b) {
    if (a.rank != b.rank) return a.rank < b.rank;
    if (a.op != b.op) return backwards ? a.op > b.op : a.op < b.op;
    return a.seq < b.seq;
  });
  plan::Plan out;
  for (auto& r : steps) out.steps.push_back(std::move(r.step));
  plan::AssignGroups(out);
  return out;
}

struct Lists {
  std::vector<Ranked> expand, contract, rollback;
  void Add(const std::vector<StagedStep>& from, int list, int op) {
    auto& into = list == 0 ? expand : list == 1 ? contract : rollback;
    for (const auto& s : from) into.push_back({Rank(s.stage, list), op, into.size(), s.step});
  }
};

// The contract's renames into place, after every drop: columns, then the table. A chain of
// renames where one takes a name another still holds is refused rather than guessed.
Status PlanRenames(const OpContext& ctx, const TableShape& t, int op, Lists& lists) {
  if (t.dropped) return Ok();
  std::vector<std::string> present;
  for (const auto& c : t.columns) present.push_back(c.physical);
  std::vector<const ShapeColumn*> pending;
  for (const auto& c : t.columns) {
    if (c.physical != c.name) pending.push_back(&c);
  }
  std::vector<StagedStep> steps;
  while (!pending.empty()) {
    auto free = std::find_if(pending.begin(), pending.end(), [&](const ShapeColumn* c) {
      return std::find(present.begin(), present.end(), c->name) == present.end();
    });
    if (free == pending.end()) {
      return Error::Input(fmt::format("the renames of {}'s columns go in a circle ({} -> {})",
                                      t.name, pending[0]->physical, pending[0]->name))
          .At({ctx.file, 0, 0})
          .WithHint("rename through a temporary name in two migrations");
    }
    const ShapeColumn* c = *free;
    SourceLocation at{ctx.file, 0, 0};
    plan::Step s = Ddl(ctx, t,
                       fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {}", ctx.Qualified(t),
                                   QuoteIdent(c->physical), QuoteIdent(c->name)),
                       sql::Lock::kAccessExclusive, at, "the new shape's column takes its name");
    s.statement = -1;
    steps.push_back({Stage::kStructure, s});
    std::replace(present.begin(), present.end(), c->physical, c->name);
    pending.erase(free);
  }
  if (t.name != t.physical) {
    plan::Step s = Ddl(
        ctx, t, fmt::format("ALTER TABLE {} RENAME TO {}", ctx.Qualified(t), QuoteIdent(t.name)),
        sql::Lock::kAccessExclusive, {ctx.file, 0, 0},
        "the table takes the name the new release uses");
    s.statement = -1;
    steps.push_back({Stage::kStructure, s});
  }
  lists.Add(steps, 1, op);
  return Ok();
}

}  // namespace

const std::vector<OperationKind>& OperationKinds() {
  static const std::vector<OperationKind> kinds = {
      {"add_column", ParseAddColumn},
      {"rename_column", ParseRenameColumn},
      {"change_type", ParseChangeType},
      {"drop_column", ParseDropColumn},
      {"set_not_null", ParseSetNotNull},
      {"create_index", ParseCreateIndex},
      {"add_foreign_key", ParseAddForeignKey},
      {"add_check", ParseAddCheck},
      {"add_unique", ParseAddUnique},
      {"create_table", ParseCreateTable},
      {"drop_table", ParseDropTable},
      {"rename_table", ParseRenameTable},
      {"sql", ParseSql},
  };
  return kinds;
}

Result<Migration> LoadMigration(std::string_view text, const std::string& file) {
  YAML::Node doc;
  try {
    doc = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    return Error::Input(fmt::format("not valid YAML: {}", e.msg))
        .At({file, e.mark.line + 1, e.mark.column + 1})
        .WithHint("check the indentation and quote expressions that hold ':' or '#'");
  }
  std::string shape_hint =
      "the file is a map with one key, operations, holding a list:\n"
      "  operations:\n    - add_column: {table: t, column: {name: c, type: "
      "text}}";
  if (!doc.IsMap()) {
    return Error::Input("a declarative migration must be a map with the key 'operations'")
        .At({file, 1, 1})
        .WithHint(shape_hint);
  }
  TIDE_ASSIGN(Fields top, Fields::Of(doc, file, "the file"));
  TIDE_TRY(top.CheckKeys({"operations"}));
  const YAML::Node ops = doc["operations"];
  if (!ops.IsDefined() || !ops.IsSequence() || ops.size() == 0) {
    return Error::Input("the file has no operations")
        .At(ops.IsDefined() ? LocationOf(ops, file) : SourceLocation{file, 1, 1})
        .WithHint(shape_hint);
  }
  Migration m;
  m.file = file;
  for (size_t i = 0; i < ops.size(); ++i) {
    TIDE_ASSIGN(auto op, LoadOperation(ops[i], file, i));
    m.operations.push_back(std::move(op));
  }
  return m;
}

Result<DeclarativePlan> PlanMigration(const Migration& migration, plan::Catalog& catalog,
                                      const PlanOptions& options) {
  OpContext ctx(catalog, options.schema, migration.file);
  Lists lists;
  int n = static_cast<int>(migration.operations.size());
  for (int i = 0; i < n; ++i) {
    ctx.op_index = i;
    TIDE_ASSIGN(StepLists steps, migration.operations[i]->Plan(ctx));
    lists.Add(steps.expand, 0, i);
    lists.Add(steps.contract, 1, i);
    lists.Add(steps.rollback, 2, i);
  }
  DeclarativePlan out;
  std::string tag = "v" + ReplaceAll(options.version, ".", "_");
  for (const auto& t : ctx.tables) {
    TIDE_ASSIGN(SyncPlan sync, PlanSync(ctx, t, tag));
    lists.Add(sync.expand, 0, t.first_op);
    lists.Add(sync.contract, 1, t.first_op);
    lists.Add(sync.rollback, 2, t.first_op);
    for (auto& p : sync.probes) out.probes.push_back(std::move(p));
    TIDE_TRY(PlanRenames(ctx, t, n + t.first_op, lists));
    if (t.created) out.created_tables.push_back(t.physical);
  }
  std::string views_schema = ViewsSchemaName(options.schema, options.version);
  ViewsPlan views = PlanViews(ctx, views_schema);
  if (!views.expand.empty()) out.views_schema = views_schema;
  lists.Add(views.expand, 0, -1);
  lists.Add(views.contract, 1, -1);  // its lock goes before the tables' steps of its stage
  lists.Add(views.rollback, 2, -1);
  out.search_path = NewReleaseSearchPath(options.schema, options.version);
  out.expand = Assemble(std::move(lists.expand), false);
  out.contract = Assemble(std::move(lists.contract), false);
  out.rollback = Assemble(std::move(lists.rollback), true);
  return out;
}

nlohmann::json DeclarativePlan::HalvesToJson() const {
  return {{"contract", contract.ToJson()},
          {"rollback", rollback.ToJson()},
          {"views_schema", views_schema},
          {"search_path", search_path}};
}

Result<DeclarativePlan> DeclarativePlan::HalvesFromJson(const nlohmann::json& doc) {
  if (!doc.is_object() || !doc.contains("contract") || !doc.contains("rollback")) {
    return Error::Internal("the stored declarative plan has no contract or rollback steps");
  }
  DeclarativePlan out;
  TIDE_ASSIGN(out.contract, plan::Plan::FromJson(doc["contract"]));
  TIDE_ASSIGN(out.rollback, plan::Plan::FromJson(doc["rollback"]));
  out.views_schema = doc.value("views_schema", "");
  out.search_path = doc.value("search_path", "");
  return out;
}

}  // namespace tide::ops
