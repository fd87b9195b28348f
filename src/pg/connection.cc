#include "pg/connection.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <regex>

namespace tide::pg {

std::string PgResult::Get(int row, int column) const {
  if (PQgetisnull(result_.get(), row, column)) return {};
  return std::string(PQgetvalue(result_.get(), row, column),
                     static_cast<size_t>(PQgetlength(result_.get(), row, column)));
}

std::optional<std::string> PgResult::GetOptional(int row, int column) const {
  if (PQgetisnull(result_.get(), row, column)) return std::nullopt;
  return Get(row, column);
}

int64_t PgResult::GetInt(int row, int column) const {
  if (PQgetisnull(result_.get(), row, column)) return 0;
  return std::strtoll(PQgetvalue(result_.get(), row, column), nullptr, 10);
}

bool PgResult::GetBool(int row, int column) const {
  if (PQgetisnull(result_.get(), row, column)) return false;
  return PQgetvalue(result_.get(), row, column)[0] == 't';
}

double PgResult::GetDouble(int row, int column) const {
  if (PQgetisnull(result_.get(), row, column)) return 0;
  return std::strtod(PQgetvalue(result_.get(), row, column), nullptr);
}

int64_t PgResult::AffectedRows() const {
  const char* n = PQcmdTuples(result_.get());
  return n && *n ? std::strtoll(n, nullptr, 10) : 0;
}

Connection::State::~State() {
  if (cancel) PQfreeCancel(cancel);
  if (conn) PQfinish(conn);
}

static void CollectNotice(void* arg, const PGresult* result) {
  auto* notices = static_cast<std::vector<std::string>*>(arg);
  const char* msg = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  const char* severity = PQresultErrorField(result, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (msg && notices->size() < 1000) {
    notices->push_back(fmt::format("{}: {}", severity ? severity : "NOTICE", msg));
  }
}

Result<PGconn*> Connection::Connect(const std::string& conninfo, const std::string& app_name) {
  // Order matters: with expand_dbname, settings inside conninfo override the earlier entries.
  const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"10", app_name.c_str(), conninfo.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (!conn) return Error::Database("out of memory connecting to PostgreSQL", "");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn);
    PQfinish(conn);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
    return Error::Database(fmt::format("cannot connect to {}: {}", RedactConninfo(conninfo),
                                       ScrubSecrets(message)),
                           "08001")
        .WithHint("check the URL (--url, TIDE_URL or url in tide.toml) and that the server runs");
  }
  return conn;
}

Result<Connection> Connection::Open(const std::string& conninfo,
                                    const std::string& application_name) {
  auto state = std::make_unique<State>();
  state->conninfo = conninfo;
  state->application_name = application_name;
  TIDE_ASSIGN(state->conn, Connect(conninfo, application_name));
  state->cancel = PQgetCancel(state->conn);
  PQsetNoticeReceiver(state->conn, &CollectNotice, &state->notices);
  return Connection(std::move(state));
}

Status Connection::Reconnect() {
  TIDE_ASSIGN(PGconn * fresh, Connect(state_->conninfo, state_->application_name));
  if (state_->cancel) PQfreeCancel(state_->cancel);
  if (state_->conn) PQfinish(state_->conn);
  state_->conn = fresh;
  state_->cancel = PQgetCancel(fresh);
  PQsetNoticeReceiver(fresh, &CollectNotice, &state_->notices);
  return Ok();
}

Result<bool> RelationExists(Connection& conn, const std::string& schema, const std::string& name) {
  TIDE_ASSIGN(auto found, conn.QueryValue(
                              "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                              "ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
                              {schema, name}));
  return found.has_value();
}

Error ErrorFromResult(const PGresult* result, PGconn* conn) {
  auto field = [&](int code) -> std::string {
    const char* v = result ? PQresultErrorField(result, code) : nullptr;
    return v ? v : "";
  };
  std::string message = field(PG_DIAG_MESSAGE_PRIMARY);
  std::string sqlstate = field(PG_DIAG_SQLSTATE);
  if (message.empty()) {
    message = conn ? PQerrorMessage(conn) : "unknown error";
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
  }
  std::string detail = field(PG_DIAG_MESSAGE_DETAIL);
  if (!detail.empty()) message += " (" + detail + ")";
  Error error = Error::Database(message, sqlstate);
  std::string hint = field(PG_DIAG_MESSAGE_HINT);
  std::string position = field(PG_DIAG_STATEMENT_POSITION);
  if (!hint.empty()) error = std::move(error).WithHint(hint);
  if (!position.empty()) error = std::move(error).WithPosition(std::atoi(position.c_str()));
  return error;
}

Result<PgResult> Connection::Check(PGresult* raw) {
  PgResult result(raw);
  ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) {
    return result;
  }
  return ErrorFromResult(raw, conn());
}

Result<PgResult> Connection::Exec(std::string_view sql) {
  std::string text(sql);
  return Check(PQexec(conn(), text.c_str()));
}

Result<PgResult> Connection::Query(std::string_view sql, const std::vector<Param>& params) {
  std::string text(sql);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return Check(PQexecParams(conn(), text.c_str(), static_cast<int>(params.size()), nullptr,
                            values.data(), nullptr, nullptr, 0));
}

Status Connection::Run(std::string_view sql, const std::vector<Param>& params) {
  if (params.empty()) {
    TIDE_TRY(Exec(sql));
  } else {
    TIDE_TRY(Query(sql, params));
  }
  return Ok();
}

Status Connection::RunBatch(const std::vector<std::string_view>& statements, size_t* failed) {
  *failed = 0;
  if (statements.empty()) return Ok();
  // A line break before each ';': a statement may end in a -- comment.
  constexpr std::string_view kSeparator = "\n;\n";
  std::string text;
  std::vector<int> starts;  // characters before each statement, as the server counts them
  size_t bytes = 0;
  for (auto s : statements) bytes += s.size() + kSeparator.size();
  text.reserve(bytes);
  int characters = 0;
  for (auto s : statements) {
    starts.push_back(characters);
    text.append(s);
    text.append(kSeparator);
    for (char c : s) characters += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    characters += static_cast<int>(kSeparator.size());
  }
  if (!PQsendQuery(conn(), text.c_str())) return ErrorFromResult(nullptr, conn());
  std::optional<Error> error;
  size_t done = 0;
  while (PGresult* raw = PQgetResult(conn())) {
    PgResult result(raw);
    ExecStatusType status = PQresultStatus(raw);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      ++done;
    } else if (status == PGRES_COPY_IN) {
      PQputCopyEnd(conn(), "tide does not send COPY data in a batch");
    } else if (status == PGRES_COPY_OUT) {
      char* row = nullptr;
      while (PQgetCopyData(conn(), &row, 0) > 0) PQfreemem(row);
    } else if (status != PGRES_EMPTY_QUERY && !error) {
      error = ErrorFromResult(raw, conn());
    }
  }
  if (!error) return Ok();
  *failed = std::min(done, statements.size() - 1);
  if (error->position() > 0) {
    error = std::move(*error).WithPosition(std::max(0, error->position() - starts[*failed]));
  }
  return std::move(*error);
}

Result<std::optional<std::string>> Connection::QueryValue(std::string_view sql,
                                                          const std::vector<Param>& params) {
  TIDE_ASSIGN(PgResult r, Query(sql, params));
  if (r.rows() == 0 || r.columns() == 0) return std::optional<std::string>();
  return r.GetOptional(0, 0);
}

bool Connection::InTransaction() const {
  PGTransactionStatusType s = PQtransactionStatus(conn());
  return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
}

void Connection::Cancel() {
  if (!state_ || !state_->cancel) return;
  char errbuf[256];
  PQcancel(state_->cancel, errbuf, sizeof errbuf);
}

std::vector<std::string> Connection::TakeNotices() {
  std::vector<std::string> out;
  out.swap(state_->notices);
  return out;
}

std::string ScrubSecrets(const std::string& text) {
  static const std::regex kKeyValue(R"((password\s*=\s*)('[^']*'|\S+))", std::regex::icase);
  static const std::regex kUserInfo(R"((://[^:/@\s]*:)[^@\s]*@)");
  std::string out = std::regex_replace(text, kKeyValue, "$1***");
  return std::regex_replace(out, kUserInfo, "$1***@");
}

std::string RedactConninfo(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &err);
  if (!options) {
    if (err) PQfreemem(err);
    return "<unparsable connection string>";
  }
  std::string out;
  for (PQconninfoOption* o = options; o->keyword; ++o) {
    std::string key = o->keyword;
    if (!o->val || !*o->val) continue;
    if (key != "host" && key != "hostaddr" && key != "port" && key != "dbname" && key != "user") {
      continue;
    }
    if (!out.empty()) out += ' ';
    out += key + "=" + o->val;
  }
  PQconninfoFree(options);
  return out.empty() ? "the default server" : out;
}

Result<std::string> WithDatabase(const std::string& conninfo, const std::string& dbname) {
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &err);
  if (!options) {
    if (err) PQfreemem(err);
    return Error::Usage("invalid database URL");
  }
  auto quote = [](const std::string& v) {
    std::string out = "'";
    for (char c : v) {
      if (c == '\\' || c == '\'') out += '\\';
      out += c;
    }
    return out + "'";
  };
  std::string out;
  for (PQconninfoOption* o = options; o->keyword; ++o) {
    std::string key = o->keyword;
    if (key == "dbname" || !o->val || !*o->val) continue;
    out += key + "=" + quote(o->val) + " ";
  }
  PQconninfoFree(options);
  return out + "dbname=" + quote(dbname);
}

namespace {

// A port list as libpq takes it: comma-separated, one per host, each empty (the default) or a
// number from 1 to 65535.
bool ValidPorts(const std::string& ports) {
  size_t start = 0;
  while (true) {
    size_t end = ports.find(',', start);
    std::string one = ports.substr(start, end == std::string::npos ? end : end - start);
    if (!one.empty()) {
      if (one.size() > 5 || one.find_first_not_of("0123456789") != std::string::npos) return false;
      int n = std::stoi(one);
      if (n < 1 || n > 65535) return false;
    }
    if (end == std::string::npos) return true;
    start = end + 1;
  }
}

bool ValidSslmode(const std::string& mode) {
  for (const char* m : {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}) {
    if (mode == m) return true;
  }
  return false;
}

// The value of keyword, from conninfo or else from libpq's environment variable; where says
// which.
std::optional<std::string> Setting(const PQconninfoOption* options, const std::string& keyword,
                                   const char* env, std::string& where) {
  for (const PQconninfoOption* o = options; o->keyword; ++o) {
    if (keyword == o->keyword && o->val && *o->val) {
      where = "the database URL";
      return std::string(o->val);
    }
  }
  if (const char* v = std::getenv(env); v && *v) {
    where = std::string("the environment variable ") + env;
    return std::string(v);
  }
  return std::nullopt;
}

}  // namespace

// Beyond parsing: the values libpq would only reject when it connects (port, sslmode, also
// from PGPORT and PGSSLMODE) are checked here, so a bad one is bad input (exit 2), not a failed
// connection (exit 1).
Status ValidateConninfo(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &err);
  if (!options) {
    std::string message = err ? err : "cannot parse";
    if (err) PQfreemem(err);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return Error::Usage("invalid database URL: " + ScrubSecrets(message))
        .WithHint("use postgresql://user@host:port/dbname or key=value pairs");
  }
  std::string port_from, sslmode_from;
  auto port = Setting(options, "port", "PGPORT", port_from);
  auto sslmode = Setting(options, "sslmode", "PGSSLMODE", sslmode_from);
  PQconninfoFree(options);
  if (port && !ValidPorts(*port)) {
    return Error::Usage(fmt::format("invalid port '{}' in {}", *port, port_from))
        .WithHint("a port is a number from 1 to 65535 (one per host, comma-separated)");
  }
  if (sslmode && !ValidSslmode(*sslmode)) {
    return Error::Usage(fmt::format("invalid sslmode '{}' in {}", *sslmode, sslmode_from))
        .WithHint("sslmode is one of disable, allow, prefer, require, verify-ca, verify-full");
  }
  return Ok();
}

}  // namespace tide::pg
