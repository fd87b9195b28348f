#pragma once
// Shared between the classifier's files; not part of its interface.

#include "sql/classify.h"

namespace tide::sql {

void ClassifyAlterTable(const Statement& st, Classified& out);
// Sets out's action, commands (tables, locks, phase) and transaction need from the node type.
void ClassifyByKind(const Statement& st, Classified& out);

}  // namespace tide::sql
