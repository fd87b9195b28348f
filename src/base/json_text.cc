#include "base/json_text.h"

namespace tide {

std::string DumpJson(const nlohmann::json& doc, int indent) {
  return doc.dump(indent, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

}  // namespace tide
