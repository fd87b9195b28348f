// attach-partition: ATTACH PARTITION scans the table it attaches, under ACCESS EXCLUSIVE on it,
// to check that every row fits the bound (and the default partition, if any, to check that none
// of its rows belong to the new one), unless a validated CHECK already proves it.
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class AttachPartition : public Rule {
 public:
  AttachPartition()
      : Rule({"attach-partition", Severity::kWarning,
              "ATTACH PARTITION scans the attached table under ACCESS EXCLUSIVE to check its "
              "rows against the bound",
              "first ADD a CHECK matching the partition bound NOT VALID and VALIDATE it (SHARE "
              "UPDATE EXCLUSIVE): the attach then skips its scan; drop the check afterwards"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    for (const auto& cmd : c.commands) {
      if (cmd.action != sql::Action::kAttachPartition || cmd.partition.empty()) continue;
      // A table made in this file is empty (or filled by this file: still the file's own).
      if (!Existing(file, c, cmd.partition)) continue;
      Finding& f = out.Add(*this, c, &cmd);
      f.message = fmt::format("ATTACH PARTITION scans {} under ACCESS EXCLUSIVE",
                              cmd.partition.Display());
      f.reason = fmt::format(
          "PostgreSQL checks every row of {} against the partition bound while it holds {} on "
          "it (and SHARE UPDATE EXCLUSIVE on {}); a default partition of {} is scanned too, "
          "under ACCESS EXCLUSIVE, to prove none of its rows belong to the new partition",
          cmd.partition.Display(), LockPhrase(sql::Lock::kAccessExclusive), c.table.Display(),
          c.table.Display());
      Findings::MadeSafeBy(f, file.Note(c.index, {"attach-partition-via-check"}));
    }
  }
};

}  // namespace

std::unique_ptr<Rule> NewAttachPartition() { return std::make_unique<AttachPartition>(); }

}  // namespace tide::lint::rules
