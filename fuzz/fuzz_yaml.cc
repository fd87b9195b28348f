// libFuzzer target: YAML migration documents.
//
// PLACEHOLDER until declarative migrations land in src/ops/: no YAML is parsed by tide yet, so
// this target loads the document with yaml-cpp (the library tide links for it) and checks the
// shape DESIGN.md section 7 gives a declarative file: a map with an `operations` list, each item
// a one-key map naming a known operation whose value is a map of scalars and lists. When src/ops/
// exists, replace ValidateShape with its loader; the seed corpus stays valid.
//
// Found by this target: yaml-cpp 0.7.0 (Debian 12) never returns from YAML::LoadAll on some
// malformed streams ("%\nch]\n...\n," in the corpus; upstream jbeder/yaml-cpp#1040, fixed by
// #1319 in later releases). A migration file is one document: load it with YAML::Load, which
// throws on the same input, never with LoadAll.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

namespace {

bool ValidateValue(const YAML::Node& node, int depth) {
  if (depth > 16) return false;
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      (void)node.as<std::string>();
      return true;
    case YAML::NodeType::Sequence:
      for (const auto& item : node) {
        if (!ValidateValue(item, depth + 1)) return false;
      }
      return true;
    case YAML::NodeType::Map:
      for (const auto& kv : node) {
        if (!kv.first.IsScalar() || !ValidateValue(kv.second, depth + 1)) return false;
      }
      return true;
    default:
      return node.IsNull();
  }
}

bool ValidateShape(const YAML::Node& root) {
  static const std::set<std::string> kOperations = {
      "add_column",   "rename_column",   "change_type", "set_not_null", "drop_column",
      "create_index", "add_foreign_key", "add_check",   "add_unique",   "create_table",
      "drop_table",   "rename_table",    "sql"};
  if (!root.IsMap() || !root["operations"] || !root["operations"].IsSequence()) return false;
  for (const auto& op : root["operations"]) {
    if (!op.IsMap() || op.size() != 1) return false;
    auto kv = *op.begin();
    if (!kv.first.IsScalar() || !kOperations.count(kv.first.as<std::string>())) return false;
    if (!kv.second.IsMap() || !ValidateValue(kv.second, 0)) return false;
    if (kv.first.as<std::string>() != "sql" && !kv.second["table"]) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)ValidateShape(YAML::Load(text));
  } catch (const YAML::Exception&) {
    // A malformed document is an input error, which is what a loader must say; not a crash.
  }
  return 0;
}
