#pragma once
// PostgreSQL's table lock modes (PostgreSQL 15 manual, 13.3 "Explicit Locking") and which ones
// conflict. Only ACCESS EXCLUSIVE blocks plain reads; SHARE and stronger block writes.

#include <string>

namespace tide::sql {

enum class Lock {
  kNone,
  kAccessShare,
  kRowShare,
  kRowExclusive,
  kShareUpdateExclusive,
  kShare,
  kShareRowExclusive,
  kExclusive,
  kAccessExclusive,
};

// "ACCESS EXCLUSIVE", as the manual writes it.
const char* LockName(Lock lock);
// "AccessExclusiveLock", as pg_locks.mode shows it.
const char* PgLockMode(Lock lock);
// The lock named by pg_locks.mode; kNone for anything else.
Lock LockFromPgMode(const std::string& mode);
// LOCK TABLE's numeric mode from the parse tree (1..8).
Lock LockFromNumber(int mode);
bool LocksConflict(Lock a, Lock b);
bool BlocksReads(Lock lock);
bool BlocksWrites(Lock lock);
// What the application feels: "blocks reads and writes", "blocks writes", "blocks other DDL".
const char* LockEffect(Lock lock);

}  // namespace tide::sql
