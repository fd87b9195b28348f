#include "ops/shape.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/strings.h"
#include "base/text.h"

namespace tide::ops {

ShapeColumn* TableShape::Column(const std::string& name) {
  for (auto& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const ShapeColumn* TableShape::Column(const std::string& name) const {
  return const_cast<TableShape*>(this)->Column(name);
}

bool TableShape::HasPhysical(const std::string& column) const {
  if (std::find(old_columns.begin(), old_columns.end(), column) != old_columns.end()) return true;
  for (const auto& c : columns) {
    if (c.physical == column) return true;
  }
  return false;
}

std::string TableShape::FreshPhysical(const std::string& name) const {
  if (!HasPhysical(name)) return name;
  std::string base = "_tide_new_" + name;
  base.resize(Utf8ClipLength(base, 63));
  std::string candidate = base;
  for (int i = 1; HasPhysical(candidate); ++i) {
    std::string suffix = fmt::format("_{}", i);
    candidate = base.substr(0, Utf8ClipLength(base, 63 - suffix.size())) + suffix;
  }
  return candidate;
}

bool TableShape::ShapeChanged() const {
  if (created || dropped) return false;
  if (name != physical) return true;
  if (columns.size() != old_columns.size()) return true;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name != old_columns[i] || columns[i].physical != old_columns[i]) return true;
  }
  return false;
}

std::string TableShape::ColumnList() const {
  std::vector<std::string> names;
  for (const auto& c : columns) names.push_back(c.name);
  return names.empty() ? "none" : Join(names, ", ");
}

std::optional<std::string> OldShapeColumn(const TableShape& t, const std::string& name,
                                          const std::string& prefix) {
  if (std::find(t.old_columns.begin(), t.old_columns.end(), name) == t.old_columns.end()) {
    return std::nullopt;
  }
  return prefix + QuoteIdent(name);
}

std::optional<std::string> NewShapeColumn(const TableShape& t, const std::string& name,
                                          const std::string& prefix) {
  const ShapeColumn* c = t.Column(name);
  if (!c) return std::nullopt;
  return prefix + QuoteIdent(c->physical);
}

}  // namespace tide::ops
