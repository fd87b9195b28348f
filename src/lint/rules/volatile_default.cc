// volatile-default: ADD COLUMN with a default that differs per row rewrites the table.
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class VolatileDefault : public Rule {
 public:
  VolatileDefault()
      : Rule({"volatile-default", Severity::kError,
              "ADD COLUMN with a volatile default (clock_timestamp(), random(), "
              "gen_random_uuid(), nextval/serial) rewrites the table",
              "add the column without the default, SET DEFAULT in a second statement, then "
              "backfill existing rows with an UPDATE (tide batches it)"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    for (const auto& cmd : c.commands) {
      if (cmd.action != sql::Action::kAddColumn || !cmd.volatile_default) continue;
      if (cmd.generated_stored || cmd.identity || !Existing(file, c, cmd.table)) continue;
      std::string fn;
      for (const auto& name : cmd.default_functions) {
        if (fn.empty() && sql::IsKnownVolatileFunction(name)) fn = name;
      }
      bool serial = cmd.type && sql::IsSerial(*cmd.type);
      Finding& f = out.Add(*this, c, &cmd);
      f.message = serial
                      ? fmt::format("ADD COLUMN {} {} numbers every existing row: it rewrites {}",
                                    cmd.column, cmd.type->name, cmd.table.Display())
                      : fmt::format("ADD COLUMN {} with a default that calls {}() rewrites {}",
                                    cmd.column, fn, cmd.table.Display());
      f.reason = fmt::format(
          "a volatile default is computed for every existing row, so PostgreSQL rewrites {} and "
          "its indexes under {} until it ends (a constant or now() is stored once in the "
          "catalog and costs nothing)",
          cmd.table.Display(), LockPhrase(sql::Lock::kAccessExclusive));
      f.help = fmt::format(
          "ADD COLUMN {0} without the default (or with a constant one); then ALTER COLUMN {0} "
          "SET DEFAULT ..., which applies to new rows only; then fill the existing rows with an "
          "UPDATE, which tide migrate batches",
          cmd.column);
    }
  }
};

}  // namespace

std::unique_ptr<Rule> NewVolatileDefault() { return std::make_unique<VolatileDefault>(); }

}  // namespace tide::lint::rules
