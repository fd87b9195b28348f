#pragma once
// Where tide keeps the halves of a declarative migration in its state table: the expand under
// the file's own script name (its plan carries the stored contract and rollback lists), the
// contract under "<script>#contract", a rollback under "<script>#rollback".

#include <string>

namespace tide::store {

inline std::string ContractKey(const std::string& script) { return script + "#contract"; }
inline std::string RollbackKey(const std::string& script) { return script + "#rollback"; }

}  // namespace tide::store
