#pragma once
// RAII around libpq: a Connection owns a PGconn, a PgResult owns a PGresult. Every value goes to
// the server as a parameter; Exec (the simple protocol) is for tide's own fixed SQL and for
// migration text, which may hold several statements.

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace tide::pg {

class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result, &PQclear) {}

  int rows() const { return PQntuples(result_.get()); }
  int columns() const { return PQnfields(result_.get()); }
  bool IsNull(int row, int column) const { return PQgetisnull(result_.get(), row, column); }
  // The text value; "" for NULL.
  std::string Get(int row, int column) const;
  std::optional<std::string> GetOptional(int row, int column) const;
  int64_t GetInt(int row, int column) const;  // 0 for NULL
  bool GetBool(int row, int column) const;    // false for NULL
  double GetDouble(int row, int column) const;
  std::string ColumnName(int column) const { return PQfname(result_.get(), column); }
  // Rows touched by INSERT/UPDATE/DELETE.
  int64_t AffectedRows() const;

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> result_;
};

using Param = std::optional<std::string>;  // nullopt is SQL NULL

// The database seam: everything above pg/ talks to the server through this class. Its methods
// are virtual so that a unit test can stand in for the server (pg/fake_connection.h); the
// libpq implementation is the only one a user runs.
class Connection {
 public:
  // conninfo: a libpq URI or key=value string. application_name is used unless conninfo sets one.
  static Result<Connection> Open(const std::string& conninfo,
                                 const std::string& application_name = "tide");

  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;
  virtual ~Connection() = default;

  // Runs text through the simple protocol; with several statements, the last one's result.
  virtual Result<PgResult> Exec(std::string_view sql);
  // One statement with $1.. parameters, all passed as text.
  virtual Result<PgResult> Query(std::string_view sql, const std::vector<Param>& params = {});
  virtual Status Run(std::string_view sql, const std::vector<Param>& params = {});
  // Statements joined into one simple-protocol message: one round trip for them all, as the
  // server runs a line of psql input holding several. On failure, *failed is the index of the
  // statement the server stopped at (the results before it count those that ran), and the
  // error's position counts from that statement. Not for COPY.
  virtual Status RunBatch(const std::vector<std::string_view>& statements, size_t* failed);
  // The first column of the first row, or nullopt when there is no row or it is NULL.
  Result<std::optional<std::string>> QueryValue(std::string_view sql,
                                                const std::vector<Param>& params = {});

  virtual int backend_pid() const { return PQbackendPID(conn()); }
  virtual int server_version() const { return PQserverVersion(conn()); }
  virtual bool InTransaction() const;
  virtual bool IsBroken() const { return PQstatus(conn()) == CONNECTION_BAD; }
  virtual const std::string& conninfo() const { return state_->conninfo; }
  // Closes and opens the connection again with the same settings.
  virtual Status Reconnect();
  // Asks the server to cancel the statement now running (safe from another thread).
  virtual void Cancel();
  // NOTICE and WARNING messages received since the last call.
  virtual std::vector<std::string> TakeNotices();
  // The libpq handle; nullptr in a test double.
  PGconn* raw() const { return state_ ? state_->conn : nullptr; }

 protected:
  // For test doubles, which override every virtual method above.
  Connection() = default;

 private:
  struct State {
    std::string conninfo;
    std::string application_name;
    PGconn* conn = nullptr;
    PGcancel* cancel = nullptr;
    std::vector<std::string> notices;
    ~State();
  };
  explicit Connection(std::unique_ptr<State> state) : state_(std::move(state)) {}
  static Result<PGconn*> Connect(const std::string& conninfo, const std::string& app_name);
  PGconn* conn() const { return state_->conn; }
  Result<PgResult> Check(PGresult* result);

  std::unique_ptr<State> state_;
};

// Whether schema.name names a relation (table, index, sequence, view).
Result<bool> RelationExists(Connection& conn, const std::string& schema, const std::string& name);

// The server error of a failed result as an Error (SQLSTATE, detail, hint, position).
Error ErrorFromResult(const PGresult* result, PGconn* conn);

// conninfo made safe to print: host, port, dbname and user only; never the password.
std::string RedactConninfo(const std::string& conninfo);
// text with anything that looks like a password (password=..., user:secret@) masked.
std::string ScrubSecrets(const std::string& text);
// conninfo with its database replaced, as a key=value string (the password kept, if any).
Result<std::string> WithDatabase(const std::string& conninfo, const std::string& dbname);
// Checks that libpq can parse conninfo, without connecting.
Status ValidateConninfo(const std::string& conninfo);

}  // namespace tide::pg
