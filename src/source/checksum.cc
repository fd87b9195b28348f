#include "source/checksum.h"

#include <zlib.h>

namespace tide::source {

int32_t FlywayChecksum(std::string_view content) {
  if (content.substr(0, 3) == "\xEF\xBB\xBF") content.remove_prefix(3);
  uLong crc = crc32(0L, Z_NULL, 0);
  size_t start = 0;
  while (start < content.size()) {
    size_t end = content.find_first_of("\r\n", start);
    if (end == std::string_view::npos) end = content.size();
    crc = crc32(crc, reinterpret_cast<const Bytef*>(content.data() + start),
                static_cast<uInt>(end - start));
    if (end < content.size() && content[end] == '\r' && end + 1 < content.size() &&
        content[end + 1] == '\n') {
      ++end;
    }
    start = end + 1;
  }
  return static_cast<int32_t>(static_cast<uint32_t>(crc));
}

}  // namespace tide::source
