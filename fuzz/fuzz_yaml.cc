// libFuzzer target: declarative migration files (V<version>__<description>.yaml), through the
// loader tide runs (ops::LoadMigration: YAML, operations, fields, expressions parsed with
// libpg_query) and, when a file loads, the planner against a catalog of two tables, with the
// stored halves written and read back as the executor does between expand and contract.
// Whatever the bytes, the answer is a plan or an input error, never a crash, hang or leak.
//
// Found with the first version of this target: yaml-cpp 0.7.0 (Debian 12) never returns from
// YAML::LoadAll on some malformed streams ("%\nch]\n...\n," in the corpus; upstream
// jbeder/yaml-cpp#1040). A migration file is one document: the loader uses YAML::Load, which
// throws on the same input.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ops/declarative.h"
#include "plan/catalog.h"

namespace {

tide::plan::FakeCatalog MakeCatalog() {
  tide::plan::FakeCatalog c;
  tide::plan::TableFacts customers;
  customers.rows = 2'000'000;
  customers.key = {"id"};
  customers.key_types = {"bigint"};
  customers.columns = {{"id", {"int8", {}, false}, true},
                       {"name", {"text", {}, false}, true},
                       {"contact_info", {"varchar", {255}, false}, false}};
  customers.details["contact_info"].type_sql = "character varying(255)";
  c.tables["customers"] = customers;
  tide::plan::TableFacts orders;
  orders.rows = 10'000;
  orders.key = {"id"};
  orders.key_types = {"bigint"};
  orders.columns = {{"id", {"int8", {}, false}, true},
                    {"customer_id", {"int8", {}, false}, false},
                    {"quantity", {"int4", {}, false}, true},
                    {"note", {"text", {}, false}, false}};
  orders.details["quantity"].type_sql = "integer";
  c.tables["orders"] = orders;
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto migration = tide::ops::LoadMigration(text, "V2__fuzz.yaml");
  if (!migration.ok()) return 0;
  tide::plan::FakeCatalog catalog = MakeCatalog();
  auto planned = tide::ops::PlanMigration(*migration, catalog, {"public", "2"});
  if (!planned.ok()) return 0;
  auto halves = tide::ops::DeclarativePlan::HalvesFromJson(planned->HalvesToJson());
  if (!halves.ok()) __builtin_trap();  // what tide stores it must read back
  return 0;
}
