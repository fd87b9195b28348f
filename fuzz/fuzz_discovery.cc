// libFuzzer target: migration file names, as discovery reads them (V<version>__<desc>.sql,
// R__<desc>.sql, V..yaml), and the versions in them. Properties checked beyond "no crash": a
// parsed version prints back to text that parses to the same version, and version order is a
// strict weak order on the pair it sees.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "source/checksum.h"
#include "source/discovery.h"
#include "source/version.h"

using tide::source::ParseMigrationName;
using tide::source::Version;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  // A file name, or two versions to compare split at the first newline.
  size_t nl = input.find('\n');
  std::string name = nl == std::string::npos ? input : input.substr(0, nl);
  auto parsed = ParseMigrationName(name);
  if (parsed.ok() && parsed->has_value()) {
    const auto& file = **parsed;
    if (file.version) {
      auto again = Version::Parse(file.version->text());
      if (!again.ok() || !(*again == *file.version)) std::abort();
    }
    (void)file.Label();
  }
  (void)tide::source::FlywayChecksum(input);
  if (nl != std::string::npos) {
    auto a = Version::Parse(name);
    auto b = Version::Parse(input.substr(nl + 1));
    if (a.ok() && b.ok()) {
      bool lt = *a < *b, gt = *b < *a, eq = *a == *b;
      if (lt + gt + eq != 1) std::abort();
    }
  }
  return 0;
}
