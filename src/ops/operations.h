#pragma once
// The operations a declarative file may list, one file each (op_<name>.cc): each reads its
// fields (unknown keys and missing fields are input errors at their line) and plans its
// expand, contract and rollback steps.

#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "ops/fields.h"
#include "ops/operation.h"

namespace tide::ops {

using OperationParser = Result<std::unique_ptr<Operation>> (*)(const Fields& fields);

struct OperationKind {
  const char* name;
  OperationParser parse;
};

// Every operation, in the order the documentation lists them.
const std::vector<OperationKind>& OperationKinds();

Result<std::unique_ptr<Operation>> ParseAddColumn(const Fields& fields);
Result<std::unique_ptr<Operation>> ParseDropColumn(const Fields& fields);
Result<std::unique_ptr<Operation>> ParseRenameColumn(const Fields& fields);
Result<std::unique_ptr<Operation>> ParseChangeType(const Fields& fields);
Result<std::unique_ptr<Operation>> ParseSetNotNull(const Fields& fields);
Result<std::unique_ptr<Operation>> ParseCreateIndex(const Fields& fields);
Result<std::unique_ptr<Operation>> ParseAddForeignKey(const Fields& fields);
Result<std::unique_ptr<Operation>> ParseAddCheck(const Fields& fields);
Result<std::unique_ptr<Operation>> ParseAddUnique(const Fields& fields);
Result<std::unique_ptr<Operation>> ParseCreateTable(const Fields& fields);
Result<std::unique_ptr<Operation>> ParseDropTable(const Fields& fields);
Result<std::unique_ptr<Operation>> ParseRenameTable(const Fields& fields);
Result<std::unique_ptr<Operation>> ParseSql(const Fields& fields);

}  // namespace tide::ops
