#include "pg/pooler.h"

#include <fmt/format.h>
#include <poll.h>

#include <chrono>
#include <optional>

namespace tide::pg {

namespace {

constexpr int kRounds = 3;

Result<int> ServerPid(Connection& conn) {
  TIDE_ASSIGN(auto pid, conn.QueryValue("SELECT pg_backend_pid()"));
  return pid ? std::stoi(*pid) : 0;
}

// pg_backend_pid() on conn, or nullopt when no answer came within wait: a session-mode pooler
// whose pool is full makes a second client queue for a server session.
Result<std::optional<int>> ServerPidWithin(Connection& conn, std::chrono::milliseconds wait) {
  PGconn* raw = conn.raw();
  if (!PQsendQuery(raw, "SELECT pg_backend_pid()")) {
    return Error::Database(PQerrorMessage(raw), "");
  }
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (true) {
    if (!PQconsumeInput(raw)) return Error::Database(PQerrorMessage(raw), "");
    if (!PQisBusy(raw)) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      conn.Cancel();
      while (PGresult* r = PQgetResult(raw)) PQclear(r);
      return std::optional<int>();
    }
    pollfd fd{PQsocket(raw), POLLIN, 0};
    poll(&fd, 1, static_cast<int>(left.count()));
  }
  std::optional<int> pid;
  while (PGresult* r = PQgetResult(raw)) {
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
      pid = std::atoi(PQgetvalue(r, 0, 0));
    }
    PQclear(r);
  }
  return pid;
}

// Behind a pooler: does the connection keep its server session between transactions, and is that
// session its own? Each round asks for the pid, lets another client connection ask (with LIFO
// reuse of idle server sessions, as PgBouncer does by default, a transaction pooler hands it the
// session just released), then asks again.
Result<PoolerCheck> ClassifyPooler(Connection& conn, int first) {
  PoolerCheck check;
  check.kind = PoolingKind::kTransaction;
  TIDE_ASSIGN(Connection other, Connection::Open(conn.conninfo(), "tide-pooler-check"));
  for (int round = 0; round < kRounds; ++round) {
    TIDE_ASSIGN(int again, ServerPid(conn));
    if (again != first) {
      check.evidence = fmt::format(
          "the server session changed between two transactions on one "
          "connection (pid {}, then {})",
          first, again);
      return check;
    }
    TIDE_ASSIGN(std::optional<int> theirs, ServerPidWithin(other, std::chrono::milliseconds(2000)));
    if (!theirs) {
      check.evidence =
          "a second connection got no server session within 2 s, so tide could "
          "not tell the pool mode";
      return check;
    }
    if (*theirs == first) {
      check.evidence = fmt::format(
          "a second connection ran on this connection's server session "
          "(pid {})",
          first);
      return check;
    }
  }
  check.kind = PoolingKind::kSession;
  check.evidence = fmt::format("a pooler that kept server session {} for this connection", first);
  return check;
}

}  // namespace

Result<PoolerCheck> DetectPooler(Connection& conn) {
  TIDE_ASSIGN(int pid, ServerPid(conn));
  if (pid == conn.backend_pid()) return PoolerCheck{};
  return ClassifyPooler(conn, pid);
}

}  // namespace tide::pg
