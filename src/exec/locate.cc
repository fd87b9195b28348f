#include "exec/locate.h"

#include <algorithm>

#include "base/strings.h"

namespace tide::exec {

Error LocateInFile(Error error, const source::MigrationFile& file, const sql::Statement& st) {
  size_t offset = st.offset;
  if (error.position() > 0) {
    offset += ByteOfCharacter(st.text, error.position());
  }
  LineColumn where = PositionOf(file.SqlText(), offset);
  return std::move(error).At({file.path.string(), where.line, where.column});
}

}  // namespace tide::exec
