#pragma once
// A stand-in for the server in unit tests: every statement goes to a handler that returns a
// result or an error, and is recorded. Results are real libpq results built in memory, so the
// code under test reads them as it reads the server's.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "pg/connection.h"

namespace tide::pg {

class FakeConnection : public Connection {
 public:
  using Handler =
      std::function<Result<PgResult>(std::string_view sql, const std::vector<Param>& params)>;
  // With no handler, every statement succeeds with no rows.
  explicit FakeConnection(Handler handler = {});

  Result<PgResult> Exec(std::string_view sql) override;
  Result<PgResult> Query(std::string_view sql, const std::vector<Param>& params = {}) override;
  Status Run(std::string_view sql, const std::vector<Param>& params = {}) override;
  Status RunBatch(const std::vector<std::string_view>& statements, size_t* failed) override;
  int backend_pid() const override { return 4242; }
  int server_version() const override { return server_version_; }
  bool InTransaction() const override { return in_transaction_; }
  bool IsBroken() const override { return broken; }
  const std::string& conninfo() const override { return conninfo_; }
  Status Reconnect() override;
  void Cancel() override { ++cancels; }
  std::vector<std::string> TakeNotices() override;

  void set_server_version(int v) { server_version_ = v; }
  std::vector<std::string> statements;  // every statement received, in order
  std::vector<std::string> notices;     // handed out by the next TakeNotices
  bool broken = false;
  int cancels = 0;
  int reconnects = 0;

 private:
  Result<PgResult> Answer(std::string_view sql, const std::vector<Param>& params);
  Handler handler_;
  std::string conninfo_ = "host=fake dbname=fake";
  int server_version_ = 150000;
  bool in_transaction_ = false;
};

// A result of text columns; nullopt values are NULL.
PgResult MakeResult(const std::vector<std::string>& columns,
                    const std::vector<std::vector<Param>>& rows);
// The result of a statement that returns no rows (SET, COMMIT, DDL).
PgResult CommandOk();
// The error the server returns with this SQLSTATE.
Error ServerError(const std::string& sqlstate, const std::string& message);

}  // namespace tide::pg
