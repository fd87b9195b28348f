#include "plan/names.h"

#include <fmt/format.h>
#include <zlib.h>

#include "base/strings.h"
#include "base/text.h"

namespace tide::plan {

namespace {

constexpr size_t kMaxName = 63;  // NAMEDATALEN - 1

}  // namespace

std::string MakeObjectName(const std::string& name1, const std::string& name2,
                           const std::string& label) {
  size_t overhead = 0;
  if (!name2.empty()) overhead += 1;
  if (!label.empty()) overhead += label.size() + 1;
  size_t avail = kMaxName > overhead ? kMaxName - overhead : 0;
  size_t n1 = name1.size(), n2 = name2.size();
  while (n1 + n2 > avail) {
    if (n1 > n2) {
      --n1;
    } else {
      --n2;
    }
  }
  n1 = Utf8ClipLength(name1, n1);
  n2 = Utf8ClipLength(name2, n2);
  std::string out = name1.substr(0, n1);
  if (!name2.empty()) out += "_" + name2.substr(0, n2);
  if (!label.empty()) out += "_" + label;
  return out;
}

Result<std::string> ChooseName(const std::string& name1, const std::string& name2,
                               const std::string& label,
                               const std::function<Result<bool>(const std::string&)>& taken) {
  std::string candidate = MakeObjectName(name1, name2, label);
  for (int pass = 1; pass < 10000; ++pass) {
    TIDE_ASSIGN(bool used, taken(candidate));
    if (!used) return candidate;
    candidate = MakeObjectName(name1, name2, label + std::to_string(pass));
  }
  return Error::Internal("no free name for " + name1);
}

namespace {

// ChooseIndexNameAddition: the column names joined by '_', kept under NAMEDATALEN.
std::string NameAddition(const std::vector<std::string>& columns) {
  std::string addition;
  for (const auto& c : columns) {
    if (!addition.empty()) addition += "_";
    addition += c;
    if (addition.size() >= kMaxName) {
      addition = addition.substr(0, Utf8ClipLength(addition, kMaxName));
      break;
    }
  }
  return addition;
}

}  // namespace

Result<std::string> ConstraintIndexName(const std::string& table,
                                        const std::vector<std::string>& columns, bool primary,
                                        const std::function<Result<bool>(const std::string&)>& taken) {
  if (primary) return ChooseName(table, "", "pkey", taken);
  return ChooseName(table, NameAddition(columns), "key", taken);
}

Result<std::string> IndexName(const std::string& table, const std::vector<std::string>& columns,
                              const std::function<Result<bool>(const std::string&)>& taken) {
  return ChooseName(table, NameAddition(columns), "idx", taken);
}

std::string TemporaryBoundCheckName(const std::string& partition) {
  uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(partition.data()),
                    static_cast<uInt>(partition.size()));
  std::string part = partition.substr(0, Utf8ClipLength(partition, 40));
  return fmt::format("tide_pb_{}_{:08x}", part, static_cast<uint32_t>(crc));
}

std::string TemporaryCheckName(const std::string& table, const std::string& column) {
  std::string both = table + "." + column;
  uLong crc =
      crc32(0L, reinterpret_cast<const Bytef*>(both.data()), static_cast<uInt>(both.size()));
  std::string col = column.substr(0, Utf8ClipLength(column, 40));
  return fmt::format("tide_nn_{}_{:08x}", col, static_cast<uint32_t>(crc));
}

}  // namespace tide::plan
