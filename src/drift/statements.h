#pragma once
// The SQL that creates, drops or changes one DbObject: what a drift finding offers to reconcile
// the database with its history, or the history with the database. Statements prefer the forms
// that keep the application running (CREATE INDEX CONCURRENTLY, NOT VALID then VALIDATE).

#include <string>
#include <vector>

#include "drift/snapshot.h"

namespace tide::drift {

// Builds obj. For a table, children are its columns (in order), constraints, indexes, triggers
// and owned sequences, built with it.
std::string CreateStatement(const DbObject& obj, const std::vector<const DbObject*>& children = {});
std::string DropStatement(const DbObject& obj);
// Turns from into to (the same object, some facts differing). notes collects caveats
// (a rewrite, what cannot be undone). "" when no statement can do it (a note says why).
std::string AlterStatement(const DbObject& from, const DbObject& to,
                           std::vector<std::string>& notes);

// Privilege letters of an aclitem ("arwd") as GRANT names ("INSERT, SELECT, UPDATE, DELETE").
std::string PrivilegeNames(const std::string& letters);

}  // namespace tide::drift
