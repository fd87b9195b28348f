#include "pg/fake_connection.h"

#include <utility>

namespace tide::pg {

FakeConnection::FakeConnection(Handler handler) : handler_(std::move(handler)) {}

Result<PgResult> FakeConnection::Answer(std::string_view sql, const std::vector<Param>& params) {
  if (broken) return Error::Database("server closed the connection unexpectedly", "08006");
  statements.emplace_back(sql);
  // BEGIN may share a message with SET LOCAL: look at how the text starts.
  if (sql.starts_with("BEGIN")) in_transaction_ = true;
  Result<PgResult> result = handler_ ? handler_(sql, params) : Result<PgResult>(CommandOk());
  if (sql == "COMMIT" || sql == "ROLLBACK" || sql.starts_with("ROLLBACK")) {
    in_transaction_ = false;
  }
  return result;
}

Result<PgResult> FakeConnection::Exec(std::string_view sql) { return Answer(sql, {}); }

Result<PgResult> FakeConnection::Query(std::string_view sql, const std::vector<Param>& params) {
  return Answer(sql, params);
}

Status FakeConnection::Run(std::string_view sql, const std::vector<Param>& params) {
  TIDE_TRY(Answer(sql, params));
  return Ok();
}

Status FakeConnection::RunBatch(const std::vector<std::string_view>& statements_in,
                                size_t* failed) {
  *failed = 0;
  for (size_t i = 0; i < statements_in.size(); ++i) {
    auto r = Answer(statements_in[i], {});
    if (!r.ok()) {
      *failed = i;
      return std::move(r).error();
    }
  }
  return Ok();
}

Status FakeConnection::Reconnect() {
  ++reconnects;
  broken = false;
  in_transaction_ = false;
  return Ok();
}

std::vector<std::string> FakeConnection::TakeNotices() {
  std::vector<std::string> out;
  out.swap(notices);
  return out;
}

PgResult MakeResult(const std::vector<std::string>& columns,
                    const std::vector<std::vector<Param>>& rows) {
  PGresult* raw = PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK);
  std::vector<PGresAttDesc> attrs(columns.size());
  for (size_t c = 0; c < columns.size(); ++c) {
    attrs[c].name = const_cast<char*>(columns[c].c_str());
    attrs[c].tableid = 0;
    attrs[c].columnid = 0;
    attrs[c].format = 0;
    attrs[c].typid = 25;  // text
    attrs[c].typlen = -1;
    attrs[c].atttypmod = -1;
  }
  PQsetResultAttrs(raw, static_cast<int>(attrs.size()), attrs.data());
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t c = 0; c < rows[r].size() && c < columns.size(); ++c) {
      const Param& v = rows[r][c];
      PQsetvalue(raw, static_cast<int>(r), static_cast<int>(c),
                 v ? const_cast<char*>(v->c_str()) : nullptr, v ? static_cast<int>(v->size()) : -1);
    }
  }
  return PgResult(raw);
}

PgResult CommandOk() { return PgResult(PQmakeEmptyPGresult(nullptr, PGRES_COMMAND_OK)); }

Error ServerError(const std::string& sqlstate, const std::string& message) {
  return Error::Database(message, sqlstate);
}

}  // namespace tide::pg
