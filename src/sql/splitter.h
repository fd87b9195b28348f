#pragma once
// One linear pass over a script as PostgreSQL's lexer sees it: where its top-level statements
// end, and its text with every comment blanked. ParseScript hands libpg_query the script in
// pieces cut at these ends, so that parse trees never exist for the whole of a big file at once,
// and hands it the blanked text, because PostgreSQL's own lexer takes quadratic time on nested
// comments that follow each other closely (`/*/*/*...`). The parser stays the judge of where a
// statement ends: a wrong cut here (psql's rule for BEGIN ATOMIC bodies is a heuristic) makes a
// piece fail to parse, and ParseScript then parses the rest of the file in one piece.

#include <string>
#include <string_view>
#include <vector>

namespace tide::sql {

struct ScriptScan {
  // Offsets just past each ';' that ends a statement, in increasing order.
  std::vector<size_t> ends;
  // The script with each byte of every comment turned into a blank (line breaks kept), so
  // offsets, lines and the parse trees are those of the script.
  std::string blanked;
};

// psql's rules (psqlscan.l, standard_conforming_strings on): '...' with '' inside, E'...' with
// backslash escapes, "..." names, $tag$...$tag$ bodies, -- and nested /* */ comments, ';'
// inside parentheses or inside CREATE FUNCTION/PROCEDURE ... BEGIN ... END not an end.
// An unterminated string, name or comment runs to the end of the text.
ScriptScan ScanScript(std::string_view script);

}  // namespace tide::sql
