#include "plan/catalog.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/strings.h"

namespace tide::plan {


const ColumnFacts* TableFacts::Column(const std::string& name) const {
  for (const auto& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

ColumnDetail TableFacts::Detail(const std::string& name) const {
  auto it = details.find(name);
  return it == details.end() ? ColumnDetail{} : it->second;
}

Result<TableFacts> OfflineCatalog::Table(const sql::TableName& table) {
  TableFacts facts;
  facts.exists = true;
  facts.known = false;
  facts.quoted = table.Quoted();
  facts.small = false;
  facts.partitioned = is_partitioned && is_partitioned(table);
  return facts;
}

Result<TableFacts> FakeCatalog::Table(const sql::TableName& table) {
  auto it = tables.find(table.name);
  if (it == tables.end()) {
    TableFacts none;
    none.quoted = table.Quoted();
    none.small = true;
    none.rows = 0;
    return none;
  }
  TableFacts facts = it->second;
  facts.exists = true;
  if (facts.quoted.empty()) facts.quoted = table.Quoted();
  if (facts.schema.empty()) facts.schema = "public";
  return facts;
}

Result<bool> FakeCatalog::RelationExists(const std::string&, const std::string& name) {
  return std::find(relations.begin(), relations.end(), name) != relations.end() ||
         tables.count(name) > 0;
}

Result<std::optional<bool>> FakeCatalog::FunctionIsVolatile(const std::string& name) {
  auto it = volatile_functions.find(name);
  if (it == volatile_functions.end()) return std::optional<bool>();
  return std::optional<bool>(it->second);
}

Result<std::optional<std::vector<PartitionFacts>>> FakeCatalog::Partitions(
    const sql::TableName& table) {
  auto it = partitions.find(table.name);
  if (it == partitions.end()) return std::optional<std::vector<PartitionFacts>>();
  return std::optional<std::vector<PartitionFacts>>(it->second);
}

Result<std::optional<sql::TableName>> FakeCatalog::TableOfIndex(const sql::TableName& index) {
  auto it = index_tables.find(index.name);
  if (it == index_tables.end()) return std::optional<sql::TableName>();
  return std::optional<sql::TableName>(sql::TableName{"", it->second});
}

}  // namespace tide::plan
