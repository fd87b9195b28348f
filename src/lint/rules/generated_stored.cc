// generated-stored: ADD COLUMN ... GENERATED ALWAYS AS (...) STORED rewrites the table.
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class GeneratedStored : public Rule {
 public:
  GeneratedStored()
      : Rule({"generated-stored", Severity::kError,
              "ADD COLUMN ... GENERATED ALWAYS AS (...) STORED rewrites the table",
              "add a plain nullable column, backfill it in batches and keep it current with a "
              "trigger; or compute the value in a view or the query"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    for (const auto& cmd : c.commands) {
      if (cmd.action != sql::Action::kAddColumn || !cmd.generated_stored) continue;
      if (!Existing(file, c, cmd.table)) continue;
      Finding& f = out.Add(*this, c, &cmd);
      f.message = fmt::format(
          "ADD COLUMN {} GENERATED ... STORED computes every row: it "
          "rewrites {}",
          cmd.column, cmd.table.Display());
      f.reason = fmt::format(
          "PostgreSQL computes and writes the value for every existing row, "
          "rewriting {} and its indexes under {}",
          cmd.table.Display(), LockPhrase(sql::Lock::kAccessExclusive));
    }
  }
};

}  // namespace

std::unique_ptr<Rule> NewGeneratedStored() { return std::make_unique<GeneratedStored>(); }

}  // namespace tide::lint::rules
