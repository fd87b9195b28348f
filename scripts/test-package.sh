#!/usr/bin/env bash
# Packaging test (ctest: package): builds the .deb with CPack, checks `cmake --install`, installs
# the .deb with dpkg -i and checks what a user of the installed package gets: tide --version,
# man tide, the bash completion, and a Flyway project's settings read by the installed binary.
# Installing a package needs root: without it the test is skipped (exit 77). CI runs as root.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: dpkg -i needs root; run as root (CI does) to test the package"
  exit 77
fi
work=$(mktemp -d /tmp/tide-package-XXXXXX)
installed_before=$(dpkg-query -W -f='${Status}' tide 2>/dev/null | grep -c "install ok installed" || true)
cleanup() {
  # Leave the machine as we found it: remove the package only if this test installed it.
  if [[ $installed_before == 0 ]]; then dpkg -r tide >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

echo "== cmake --install into a scratch prefix"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
for f in bin/tide share/man/man1/tide.1.gz share/bash-completion/completions/tide \
         share/doc/tide/README.md; do
  [[ -f $work/prefix/$f ]] || fail "cmake --install did not install $f"
done

echo "== cpack -G DEB"
(cd "$build" && cpack -G DEB -B "$work/deb" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log"; fail "cpack failed"; }
deb=$(ls "$work"/deb/tide_*.deb)
info=$(dpkg-deb --info "$deb")
grep -q "Depends:.*libpq5" <<<"$info" || fail "the package does not depend on libpq5: $info"
contents=$(dpkg-deb --contents "$deb")
for f in ./usr/bin/tide ./usr/share/man/man1/tide.1.gz ./usr/share/bash-completion/completions/tide; do
  grep -q " $f\$" <<<"$contents" || fail "$deb lacks $f"
done

echo "== dpkg -i $(basename "$deb")"
# Minimal images may exclude /usr/share/man from every package (path-exclude); ours is what
# this test checks, so it is included explicitly. Without such an exclusion this changes nothing.
dpkg --path-include=/usr/share/man/man1/tide.1.gz -i "$deb" >/dev/null || fail "dpkg -i failed"
[[ $(command -v tide) == /usr/bin/tide ]] || fail "tide is not /usr/bin/tide on PATH"

echo "== tide --version"
version=$(/usr/bin/tide --version)
echo "$version"
grep -q "^tide [0-9]" <<<"$version" || fail "no tide version"
grep -q "^libpq [0-9]" <<<"$version" || fail "no libpq version"
grep -q "^libpg_query [0-9]" <<<"$version" || fail "no libpg_query version"

echo "== man tide"
[[ $(man -w tide) == /usr/share/man/man1/tide.1.gz ]] || fail "man -w tide: $(man -w tide)"
page=$(MANPAGER=cat MANWIDTH=120 man tide 2>"$work/man.err")
[[ ! -s $work/man.err ]] || { cat "$work/man.err"; fail "man tide printed errors"; }
for text in "zero-downtime schema migrations" "tide migrate" "--dry-run" "--sources" \
            "-Dflyway.target=1.1" "EXIT STATUS"; do
  grep -qF -- "$text" <<<"$page" || fail "man tide lacks '$text'"
done
# The page says what --help says.
/usr/bin/tide migrate --help | grep -F -- "--dry-run" | head -1 | sed 's/^ *//' >"$work/line"
grep -qF -- "$(cat "$work/line")" <<<"$page" || fail "man tide differs from tide migrate --help"
warnings=$(zcat /usr/share/man/man1/tide.1.gz | groff -man -Tutf8 -ww -z 2>&1 || true)
[[ -z $warnings ]] || fail "groff warns about tide.1: $warnings"

echo "== bash completion"
got=$(bash -c 'source /usr/share/bash-completion/completions/tide
  COMP_WORDS=(tide mig); COMP_CWORD=1; _tide; echo "${COMPREPLY[*]}"
  COMP_WORDS=(tide migrate --dry); COMP_CWORD=2; _tide; echo "${COMPREPLY[*]}"
  COMP_WORDS=(tide sandbox st); COMP_CWORD=2; _tide; echo "${COMPREPLY[*]}"')
[[ $got == $'migrate\n--dry-run\nstart stop status' ]] || fail "completion gave: $got"

echo "== the installed tide reads a Flyway project"
cp -r "$src/tests/fixtures/maven_seed" "$work/project"
sources=$(cd "$work/project" && CUSTOMERS_DB_PORT=5432 CUSTOMERS_DB_NAME=customers \
  /usr/bin/tide info --sources 2>/dev/null)
grep -q "url .*host=127.0.0.1 port=5432 .*flyway.conf:3" <<<"$sources" ||
  fail "installed tide did not read flyway.conf: $sources"

echo "package test: all checks passed"
