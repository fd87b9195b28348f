// old-release-nulls: a contract SET NOT NULL on a column an earlier migration added nullable:
// the old release kept inserting rows without it after the backfill.
#include <fmt/format.h>

#include <filesystem>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class OldReleaseNulls : public Rule {
 public:
  OldReleaseNulls()
      : Rule({"old-release-nulls", Severity::kError,
              "SET NOT NULL on a column an earlier migration added nullable: rows the old "
              "release inserted since may be NULL",
              "fill the rows again just before (UPDATE ... WHERE col IS NULL), or give the column "
              "a default in the expand migration"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    for (const auto& cmd : c.commands) {
      if (cmd.action != sql::Action::kSetNotNull) continue;
      const History::Column* col = file.history().FindColumn(cmd.table, cmd.column);
      // Only what an earlier file of this run did is known; a default fills the old release's
      // rows, and a column added in this very file is the mixed-phases finding.
      if (!col || col->not_null || col->has_default || !col->added_to_existing ||
          col->added_in.empty() || col->added_in == file.file()) {
        continue;
      }
      Finding& f = out.Add(*this, c, &cmd);
      std::string added = std::filesystem::path(col->added_in).filename().string();
      f.message = fmt::format(
          "{}.{} was added nullable by {} (line {}): rows the old release "
          "inserted since may still be NULL",
          cmd.table.Display(), cmd.column, added, col->added_line);
      f.reason = fmt::format(
          "the old release does not write {}, so every row it inserted after {} ran is NULL{}; "
          "SET NOT NULL fails on the first one",
          cmd.column, added, col->filled_in.empty() ? "" : " (the backfill came before them)");
      f.help = fmt::format(
          "run the backfill again right before: UPDATE {0} SET {1} = ... WHERE {1} IS NULL "
          "(tide migrate batches it); or add {1} with a DEFAULT in the expand migration",
          cmd.table.Display(), cmd.column);
      Findings::MadeSafeBy(f, file.Note(c.index, {"contract-catch-up"}));
    }
  }
};

}  // namespace

std::unique_ptr<Rule> NewOldReleaseNulls() { return std::make_unique<OldReleaseNulls>(); }

}  // namespace tide::lint::rules
