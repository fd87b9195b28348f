// The list of rules. Explicit rather than self-registering: tide_core is a static library, and
// the linker drops object files nothing refers to.
#include "lint/rule.h"
#include "lint/rules/rules.h"

namespace tide::lint {

const std::vector<std::unique_ptr<Rule>>& AllRules() {
  static const std::vector<std::unique_ptr<Rule>> kRules = [] {
    using namespace rules;
    std::vector<std::unique_ptr<Rule>> all;
    for (auto make : {NewCreateIndexNonConcurrent,
                      NewCreateIndexPartitioned,
                      NewDropIndexNonConcurrent,
                      NewReindexNonConcurrent,
                      NewConcurrentlyInTransaction,
                      NewVolatileDefault,
                      NewGeneratedStored,
                      NewIdentityColumn,
                      NewNotNullWithoutDefault,
                      NewSetNotNull,
                      NewAddForeignKey,
                      NewAddCheck,
                      NewValidateInSameTransaction,
                      NewAddUniqueConstraint,
                      NewExclusionConstraint,
                      NewRewriteColumnType,
                      NewRewriteTable,
                      NewAttachPartition,
                      NewDetachPartition,
                      NewVacuumFull,
                      NewCluster,
                      NewLockTable,
                      NewTruncate,
                      NewBackfillInDdlTransaction,
                      NewUnbatchedBackfill,
                      NewEnumValueInTransaction,
                      NewRenameColumn,
                      NewRenameTable,
                      NewMixedPhases,
                      NewContractInExpand,
                      NewExpandInContract,
                      NewOldReleaseNulls,
                      NewOpaqueStatement,
                      NewAllowWithoutReason,
                      NewUnknownDirective}) {
      all.push_back(make());
    }
    return all;
  }();
  return kRules;
}

const Rule* FindRule(std::string_view id) {
  for (const auto& rule : AllRules()) {
    if (rule->info().id == id) return rule.get();
  }
  return nullptr;
}

bool NeedsTableSize(std::string_view id) {
  // Their harm grows with the table (a lock held for a scan, a rewrite, a long backfill), and
  // tide migrate runs the statement as written on a table under small_table_rows.
  static const std::string_view kSized[] = {
      "create-index-non-concurrent", "drop-index-non-concurrent", "reindex-non-concurrent",
      "add-check", "add-foreign-key", "add-unique-constraint", "exclusion-constraint",
      "set-not-null", "rewrite-column-type", "rewrite-table", "volatile-default",
      "generated-stored", "identity-column", "cluster", "vacuum-full", "lock-table",
      "unbatched-backfill", "backfill-in-ddl-transaction", "validate-in-same-transaction",
      "detach-partition", "mixed-phases", "create-index-partitioned", "attach-partition"};
  for (auto sized : kSized) {
    if (sized == id) return true;
  }
  return false;
}

bool IsRuntimeRule(std::string_view id) {
  // Refusals that need the catalog: lint cannot see them, but an allow may name them.
  return id == "backfill-without-key";
}

}  // namespace tide::lint
