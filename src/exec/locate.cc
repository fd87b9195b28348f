#include "exec/locate.h"

#include <algorithm>

#include "base/strings.h"

namespace tide::exec {

Error LocateInFile(Error error, const migrate::MigrationFile& file, const sql::Statement& st) {
  size_t offset = st.offset;
  if (error.position() > 0) {
    // The server counts characters; walk UTF-8 to find the byte.
    size_t byte = 0;
    for (int chars = 1; chars < error.position() && byte < st.text.size(); ++chars) {
      unsigned char c = static_cast<unsigned char>(st.text[byte]);
      byte += c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : 4;
    }
    offset += std::min(byte, st.text.size());
  }
  LineColumn where = PositionOf(file.SqlText(), offset);
  return std::move(error).At({file.path.string(), where.line, where.column});
}

}  // namespace tide::exec
