#pragma once
// One constructor per rule; each rule lives in the file named after its id. The registry
// (lint/registry.cc) lists them in the order --list-rules shows.

#include <memory>

#include "lint/rule.h"

namespace tide::lint::rules {

// Locks, scans and rewrites on existing tables.
std::unique_ptr<Rule> NewCreateIndexNonConcurrent();
std::unique_ptr<Rule> NewCreateIndexPartitioned();
std::unique_ptr<Rule> NewDropIndexNonConcurrent();
std::unique_ptr<Rule> NewReindexNonConcurrent();
std::unique_ptr<Rule> NewConcurrentlyInTransaction();
std::unique_ptr<Rule> NewVolatileDefault();
std::unique_ptr<Rule> NewGeneratedStored();
std::unique_ptr<Rule> NewIdentityColumn();
std::unique_ptr<Rule> NewNotNullWithoutDefault();
std::unique_ptr<Rule> NewSetNotNull();
std::unique_ptr<Rule> NewAddForeignKey();
std::unique_ptr<Rule> NewAddCheck();
std::unique_ptr<Rule> NewValidateInSameTransaction();
std::unique_ptr<Rule> NewAddUniqueConstraint();
std::unique_ptr<Rule> NewExclusionConstraint();
std::unique_ptr<Rule> NewRewriteColumnType();
std::unique_ptr<Rule> NewRewriteTable();
std::unique_ptr<Rule> NewAttachPartition();
std::unique_ptr<Rule> NewDetachPartition();
std::unique_ptr<Rule> NewVacuumFull();
std::unique_ptr<Rule> NewCluster();
std::unique_ptr<Rule> NewLockTable();
std::unique_ptr<Rule> NewTruncate();
// Data changes.
std::unique_ptr<Rule> NewBackfillInDdlTransaction();
std::unique_ptr<Rule> NewUnbatchedBackfill();
std::unique_ptr<Rule> NewEnumValueInTransaction();
// Releases: what the old or the new release sees.
std::unique_ptr<Rule> NewRenameColumn();
std::unique_ptr<Rule> NewRenameTable();
std::unique_ptr<Rule> NewMixedPhases();
std::unique_ptr<Rule> NewContractInExpand();
std::unique_ptr<Rule> NewExpandInContract();
std::unique_ptr<Rule> NewOldReleaseNulls();
// What lint cannot see, and its own directives.
std::unique_ptr<Rule> NewOpaqueStatement();
std::unique_ptr<Rule> NewAllowWithoutReason();
std::unique_ptr<Rule> NewUnknownDirective();

}  // namespace tide::lint::rules
