// libFuzzer target: the SQL classifier and the planner, as lint and plan --offline run them on
// a file. Beyond "no crash": a plan survives the trip through JSON that tide's state table makes
// (a resumed run reads it back), unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "base/json_text.h"
#include "plan/catalog.h"
#include "plan/planner.h"
#include "sql/classify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto script = tide::sql::ClassifyScript(text, "V1__fuzz.sql");
  if (!script.ok()) return 0;
  for (int small : {0, 1000}) {
    tide::plan::OfflineCatalog catalog;
    tide::plan::Planner planner(catalog, {small});
    auto plan = planner.PlanScript(*script);
    if (!plan.ok()) continue;
    nlohmann::json stored = plan->ToJson();
    auto back = tide::plan::Plan::FromJson(nlohmann::json::parse(tide::DumpJson(stored)));
    if (!back.ok() || back->ToJson() != stored) std::abort();
  }
  return 0;
}
