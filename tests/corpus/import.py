#!/usr/bin/env python3
"""Re-imports the replay corpus from git snapshots of the source projects.

Only file NAMES change (to Flyway's V<version>__<description>.sql); every file's bytes are copied
as committed upstream. Usage: import.py PROJECT GIT_DIR [COMMIT]; GIT_DIR is a clone or a bare
repository. See each project's SOURCE.md for the rules applied.
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def git(git_dir, *args):
    return subprocess.run(["git", "--git-dir", git_dir, *args], check=True,
                          capture_output=True).stdout


def tree(git_dir, commit, folder):
    out = git(git_dir, "ls-tree", "-r", "--name-only", commit, folder).decode()
    return [line for line in out.splitlines() if line]


def diesel(paths):
    """crates.io: migrations/<version>_<name>/up.sql. Diesel orders by the version text (digits,
    dashes removed) and mixes 14- and 18-digit versions, which Flyway's numeric order would not
    keep, and 20260527120000 vs 20260527120000.0000 would clash (Flyway ignores trailing zeros). So
    the Flyway version is the position in Diesel's order, and the description keeps the original
    folder name: migrations/2017-..._x/up.sql -> V<n>__2017-..._x.sql."""
    found = []
    for p in paths:
        m = re.fullmatch(r"migrations/(([0-9-]+)_[^/]+)/up\.sql", p)
        if m:
            found.append((m.group(2).replace("-", ""), m.group(1), p))
    found.sort()
    return [(str(i + 1), folder, p) for i, (_, folder, p) in enumerate(found)]


def golang_migrate(prefix):
    def convert(paths):
        out = []
        for p in paths:
            m = re.fullmatch(re.escape(prefix) + r"([0-9]+)_(.+)\.up\.sql", p)
            if m:
                out.append((m.group(1), m.group(2), p))
        return out
    return convert


def sqlx(prefix):
    def convert(paths):
        out = []
        for p in paths:
            m = re.fullmatch(re.escape(prefix) + r"([0-9]+)_(.+)\.sql", p)
            if m and not p.endswith(".down.sql"):
                name = m.group(2)[:-3] if m.group(2).endswith(".up") else m.group(2)
                out.append((m.group(1), name, p))
        return out
    return convert


def flyway(prefix):
    def convert(paths):
        out = []
        for p in paths:
            m = re.fullmatch(re.escape(prefix) + r"([VR])([0-9.]*)__(.+)\.sql", p)
            if m:
                out.append((m.group(2), m.group(3), p, m.group(1)))
        return out
    return convert


PROJECTS = {
    "cratesio": ("migrations", diesel),
    "harbor": ("make/migrations/postgresql", golang_migrate("make/migrations/postgresql/")),
    "atuin": ("crates/atuin-server-postgres/migrations",
              sqlx("crates/atuin-server-postgres/migrations/")),
    "marquez": ("api/src/main/resources/marquez/db/migration",
                flyway("api/src/main/resources/marquez/db/migration/")),
}


def main():
    project, git_dir = sys.argv[1], sys.argv[2]
    commit = sys.argv[3] if len(sys.argv) > 3 else "HEAD"
    folder, convert = PROJECTS[project]
    dest = os.path.join(HERE, project, "migrations")
    os.makedirs(dest, exist_ok=True)
    for old in os.listdir(dest):
        os.remove(os.path.join(dest, old))
    for entry in convert(tree(git_dir, commit, folder)):
        version, name, path = entry[:3]
        prefix = entry[3] if len(entry) > 3 else "V"
        # A space in a name becomes "_", which Flyway reads back as a space in the description.
        target = f"{prefix}{version}__{name.replace(' ', '_')}.sql"
        with open(os.path.join(dest, target), "wb") as f:
            f.write(git(git_dir, "show", f"{commit}:{path}"))
        print(f"{path} -> {target}")


if __name__ == "__main__":
    main()
