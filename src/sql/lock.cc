#include "sql/lock.h"

namespace tide::sql {

const char* LockName(Lock lock) {
  switch (lock) {
    case Lock::kNone: return "none";
    case Lock::kAccessShare: return "ACCESS SHARE";
    case Lock::kRowShare: return "ROW SHARE";
    case Lock::kRowExclusive: return "ROW EXCLUSIVE";
    case Lock::kShareUpdateExclusive: return "SHARE UPDATE EXCLUSIVE";
    case Lock::kShare: return "SHARE";
    case Lock::kShareRowExclusive: return "SHARE ROW EXCLUSIVE";
    case Lock::kExclusive: return "EXCLUSIVE";
    case Lock::kAccessExclusive: return "ACCESS EXCLUSIVE";
  }
  return "?";
}

const char* PgLockMode(Lock lock) {
  switch (lock) {
    case Lock::kNone: return "";
    case Lock::kAccessShare: return "AccessShareLock";
    case Lock::kRowShare: return "RowShareLock";
    case Lock::kRowExclusive: return "RowExclusiveLock";
    case Lock::kShareUpdateExclusive: return "ShareUpdateExclusiveLock";
    case Lock::kShare: return "ShareLock";
    case Lock::kShareRowExclusive: return "ShareRowExclusiveLock";
    case Lock::kExclusive: return "ExclusiveLock";
    case Lock::kAccessExclusive: return "AccessExclusiveLock";
  }
  return "";
}

Lock LockFromPgMode(const std::string& mode) {
  for (int i = 1; i <= 8; ++i) {
    Lock l = static_cast<Lock>(i);
    if (mode == PgLockMode(l)) return l;
  }
  return Lock::kNone;
}

Lock LockFromNumber(int mode) {
  if (mode < 1 || mode > 8) return Lock::kAccessExclusive;
  return static_cast<Lock>(mode);
}

bool LocksConflict(Lock a, Lock b) {
  if (a == Lock::kNone || b == Lock::kNone) return false;
  // The conflict table of the manual is symmetric; encode each row as a bit set.
  auto bit = [](Lock l) { return 1u << static_cast<unsigned>(l); };
  auto conflicts = [&](Lock l) -> unsigned {
    switch (l) {
      case Lock::kAccessShare: return bit(Lock::kAccessExclusive);
      case Lock::kRowShare: return bit(Lock::kExclusive) | bit(Lock::kAccessExclusive);
      case Lock::kRowExclusive:
        return bit(Lock::kShare) | bit(Lock::kShareRowExclusive) | bit(Lock::kExclusive) |
               bit(Lock::kAccessExclusive);
      case Lock::kShareUpdateExclusive:
        return bit(Lock::kShareUpdateExclusive) | bit(Lock::kShare) |
               bit(Lock::kShareRowExclusive) | bit(Lock::kExclusive) |
               bit(Lock::kAccessExclusive);
      case Lock::kShare:
        return bit(Lock::kRowExclusive) | bit(Lock::kShareUpdateExclusive) |
               bit(Lock::kShareRowExclusive) | bit(Lock::kExclusive) |
               bit(Lock::kAccessExclusive);
      case Lock::kShareRowExclusive:
        return bit(Lock::kRowExclusive) | bit(Lock::kShareUpdateExclusive) | bit(Lock::kShare) |
               bit(Lock::kShareRowExclusive) | bit(Lock::kExclusive) |
               bit(Lock::kAccessExclusive);
      case Lock::kExclusive:
        return bit(Lock::kRowShare) | bit(Lock::kRowExclusive) |
               bit(Lock::kShareUpdateExclusive) | bit(Lock::kShare) |
               bit(Lock::kShareRowExclusive) | bit(Lock::kExclusive) |
               bit(Lock::kAccessExclusive);
      case Lock::kAccessExclusive: return ~0u & ~bit(Lock::kNone);
      case Lock::kNone: return 0;
    }
    return 0;
  };
  return (conflicts(a) & bit(b)) != 0;
}

bool BlocksReads(Lock lock) { return lock == Lock::kAccessExclusive; }

bool BlocksWrites(Lock lock) { return LocksConflict(lock, Lock::kRowExclusive); }

const char* LockEffect(Lock lock) {
  if (BlocksReads(lock)) return "blocks reads and writes";
  if (BlocksWrites(lock)) return "blocks writes";
  if (lock == Lock::kShareUpdateExclusive) return "blocks other DDL and VACUUM only";
  if (lock == Lock::kNone) return "takes no table lock";
  return "does not block reads or writes";
}

}  // namespace tide::sql
