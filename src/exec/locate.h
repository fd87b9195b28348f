#pragma once
// Pointing a server error at the file: the statement's position plus the server's cursor.

#include "base/error.h"
#include "source/discovery.h"
#include "sql/parser.h"

namespace tide::exec {

Error LocateInFile(Error error, const source::MigrationFile& file, const sql::Statement& st);

}  // namespace tide::exec
