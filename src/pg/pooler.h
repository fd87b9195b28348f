#pragma once
// Is this connection a session on the server, or a client of a connection pooler that hands each
// transaction whichever server session is free (PgBouncer's transaction or statement mode)?
// Through such a pooler a session-level advisory lock, a SET and its RESET, and a statement
// that must follow them land on different server sessions: tide's run lock and lock_timeout
// would silently not hold, and the settings would stay behind on sessions the application uses.
//
// How it tells: a pooler answers the startup with a cancel key of its own, so the backend pid
// libpq was given is not the pid the server reports (a direct connection, or a proxy that only
// forwards bytes, always agrees). Once a pooler is seen, it is in session mode only when the
// connection kept one server session over several transactions and a second client connection
// never got that same session; otherwise tide refuses. Nothing is set or locked while checking.

#include <string>

#include "base/error.h"
#include "pg/connection.h"

namespace tide::pg {

enum class PoolingKind {
  kDirect,       // the server itself (or a byte-forwarding proxy)
  kSession,      // a pooler that keeps one server session per client connection
  kTransaction,  // a pooler that may change the server session between transactions
};

struct PoolerCheck {
  PoolingKind kind = PoolingKind::kDirect;
  std::string evidence;  // what showed it, for the message
};

Result<PoolerCheck> DetectPooler(Connection& conn);

}  // namespace tide::pg
