#pragma once
// The one way tide turns a JSON document into text. Strings in tide's documents come from input
// files and the server (statement previews, file names, error messages), and nlohmann's default
// dump throws on bytes that are not UTF-8: a file in Latin-1 would abort a run after it applied.
// Here every such byte becomes U+FFFD and the document is always written.

#include <nlohmann/json.hpp>
#include <string>

namespace tide {

// indent < 0: one line; otherwise pretty-printed with that many spaces.
std::string DumpJson(const nlohmann::json& doc, int indent = -1);

}  // namespace tide
