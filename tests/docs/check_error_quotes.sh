#!/usr/bin/env bash
# Every error message that docs/reliability.md quotes still occurs in ember's source.
# (ctest docs_error_quotes; needs only bash and awk.)   usage: check_error_quotes.sh REPO_ROOT
#
# The convention: a quote is a backticked span (`...` or ``...``) in a table cell under a column
# whose header starts with "Error text". Spans in other columns and in prose are not checked.
# A quote that is a repository path (`src/cuda/device.cpp`) must name an existing file. In any
# other quote these parts are the run's values and match anything: <...> (a placeholder),
# ... (text left out), numbers, [shapes] and [a, b) ranges, 'single-quoted' and "double-quoted"
# values, paths and module paths (a/b/c), module types (NetImpl), dotted parameter names
# (fc1.weight), NaN/Inf, dtypes (float32 ... bool, F32 ...), devices (cpu, cuda, cuda:N), JSON
# kinds (a number, an array, ...), errno texts (No such file or directory, ...), and a --flag
# that ends the quote (the one the user typed). Every piece of text between them that has a
# letter must occur in src/, include/, kernels/ or tools/, read with \" as " and with string
# literals that print next to each other ("a" "b", "a", "b", "a" + "b", "a" << "b") joined. A
# piece that does not occur whole may be split where ember's messages join parts printed by
# different code: at ": ", "; ", ", " and parentheses, and then into runs of words found close
# together in the source, C++ names (Sequential::ptr) and words the source passes as values
# ("seed"); see cover() below. What this cannot see: a quote that only leaves words out of the
# current message, or whose words all still occur close together.
set -uo pipefail
root="$(cd "${1:?usage: $0 REPO_ROOT}" && pwd)"
doc="docs/reliability.md"
cd "$root" || exit 2

mapfile -t sources < <(find src include kernels tools -type f \
  \( -name '*.cpp' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh' -o -name '*.sh' \) | sort)

awk -v doc="$doc" '
  FILENAME != doc { corpus = corpus $0 "\n"; next }
  FNR == 1 {
    # Literals that are adjacent, or consecutive arguments of a message (EMBER_CHECK(c, "a", "b"),
    # "a" + "b", << "a" << "b"), print as one text; \" and \\ read as themselves.
    # The unjoined text stays too, for the literals that follow a value (`: " so far"`).
    joined = corpus
    gsub(/"[ \t\n]*(,|\+|<<)?[ \t\n]*"/, "", joined)
    corpus = corpus "\n" joined
    gsub(/\\"/, "\"", corpus)
    gsub(/\\\\/, "\\", corpus)
  }
  function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
  function trim_piece(s) { sub(/^[ \t;,.]+/, "", s); sub(/[ \t;,.:]+$/, "", s); return s }
  # A piece is found whole, or else split at punctuation (": ", "; ", ", ", parentheses) into
  # parts that are each found whole or as runs of their words found close together (see cover:
  # different code often prints the parts of one message: an op name, a described tensor, one
  # branch of a choice).
  function found(piece,   parts, n, i, part) {
    bad = piece
    if (index(corpus, piece)) return 1
    n = split(piece, parts, /(: |; |, |[()])/)
    for (i = 1; i <= n; i++) {
      part = trim_piece(parts[i])
      if (part ~ /[A-Za-z]/ && !index(corpus, part) && !found_runs(part)) { bad = part; return 0 }
    }
    return 1
  }
  function found_runs(part) {
    nw = split(part, words, " ")
    tries = 0
    return cover(1, 0, 0)
  }
  # Covers words[i..nw] with runs, longest first: two or more words, or one C++ name, each found
  # within 200 characters after the previous run (the parts of one message are printed by code
  # close together); the first run may be anywhere but needs 6 characters unless it is a name.
  # A name whose ::-separated parts occur apart (found_name) is a value the source inserts, and
  # after a run or a name a single word may be one too (found_value).
  function cover(i, lo, after_name,   j, k, run, start, limit, off, p) {
    if (i > nw) return 1
    for (j = nw; j >= i; j--) {
      run = words[i]
      for (k = i + 1; k <= j; k++) run = run " " words[k]
      if (j == i && !found_name(run)) break
      if (!lo && j > i && length(run) < 6) continue
      start = lo ? lo : 1
      limit = lo ? lo + 200 : length(corpus)
      off = start
      while (off <= limit && (p = index(substr(corpus, off, limit - off + 1), run)) > 0) {
        p += off - 1
        if (cover(j + 1, p + length(run), j == i)) return 1
        off = p + 1
        if (++tries > 400) return 0
      }
    }
    if (found_name(words[i])) return cover(i + 1, lo, 1)
    if ((lo || after_name) && found_value(words[i])) return cover(i + 1, lo, 0)
    return 0
  }
  # A word that is a whole string literal ("seed"), or starts one after a value (" failed: "),
  # is a value or a piece of text the source inserts on its own.
  function found_value(word) {
    return index(corpus, "\"" word "\"") || index(corpus, "\" " word)
  }
  # A C++ name (Sequential::ptr, cudaStreamEndCapture, batch_size, Adam) that the source passes
  # as a value is found when each of its ::-separated parts is.
  function found_name(word,   names, n, k) {
    if (word !~ /^[A-Za-z_][A-Za-z0-9_]*([A-Z_]|::)[A-Za-z0-9_:]*$/ && word !~ /^[A-Z][A-Za-z0-9]*$/) return 0
    n = split(word, names, "::")
    for (k = 1; k <= n; k++) if (names[k] != "" && !index(corpus, names[k])) return 0
    return 1
  }
  # Replaces each match of re with \001; with bounded set, only a match that is a whole word
  # (no letter, digit or _ right before or after it).
  function wild(s, re, bounded,   out, before, after) {
    out = ""
    while (match(s, re)) {
      before = RSTART > 1 ? substr(s, RSTART - 1, 1) : substr(out, length(out), 1)
      after = substr(s, RSTART + RLENGTH, 1)
      if (bounded && (before ~ /[A-Za-z0-9_]/ || after ~ /[A-Za-z0-9_]/)) {
        out = out substr(s, 1, RSTART); s = substr(s, RSTART + 1)
        continue
      }
      out = out substr(s, 1, RSTART - 1) "\001"
      s = substr(s, RSTART + RLENGTH)
    }
    return out s
  }
  function check(quote, line,   s, n, pieces, i, piece, missing) {
    quotes++
    if (quote ~ /^(src|include|kernels|tools|tests|docs|data|cmake)\/[^ ]*$/) {  # a file reference
      if (system("test -e \"" quote "\"") != 0) {
        printf "FAIL %s:%d: `%s` names a file that does not exist\n", doc, line, quote
        fails++
      }
      return
    }
    s = quote
    s = wild(s, "<[^<>]*>", 0)                                           # placeholders
    s = wild(s, "\\.\\.\\.", 0)                                          # text left out
    s = wild(s, "\047[^\047 ]*\047", 1)                                   # 'values'
    s = wild(s, "\"[^\"]*\"", 0)                                          # "names"
    s = wild(s, "\\[[^]()[]*[])]", 0)                                    # [shapes], [a, b)
    s = wild(s, "(No such file or directory|Is a directory|Not a directory|Permission denied|No space left on device)", 0)
    s = wild(s, "[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+", 1)                 # paths, module paths
    s = wild(s, "([A-Za-z_][A-Za-z0-9_]*::)*[A-Za-z_][A-Za-z0-9_]*Impl", 1)  # module types
    s = wild(s, "[a-z_][a-z0-9_]*(\\.[a-z0-9_]+)+", 1)                    # parameter names
    s = wild(s, "-?(NaN|nan|Inf|inf)", 1)
    s = wild(s, "(float32|float64|int64|bool|F32|F64|I64|BOOL|cpu|cuda(:[0-9]+)?)", 1)  # dtypes, devices
    s = wild(s, "(null|a boolean|a number|a string|an array|an object)", 1)  # JSON kinds
    s = wild(s, "-?[0-9]+(\\.[0-9]+)?(e[-+]?[0-9]+)?", 1)                 # numbers
    s = wild(s, "--[a-z][a-z-]*$", 0)                                    # the flag a user typed
    n = split(s, pieces, "\001")
    missing = ""
    for (i = 1; i <= n; i++) {
      piece = trim_piece(pieces[i])
      if (piece !~ /[A-Za-z]/) continue
      checked++
      if (!found(piece)) missing = missing (missing == "" ? "" : ", ") "\"" bad "\""
    }
    if (missing != "") {
      printf "FAIL %s:%d: the quote `%s` is stale: %s not found in src/, include/, kernels/ or tools/\n", doc, line, quote, missing
      fails++
    }
  }
  function check_cell(cell, line,   n, ticks, rest, end, span) {
    while (match(cell, /`+/)) {
      ticks = substr(cell, RSTART, RLENGTH)
      rest = substr(cell, RSTART + RLENGTH)
      # The span ends at the next run of exactly as many backticks.
      end = 0
      n = 0
      while (match(substr(rest, n + 1), /`+/)) {
        if (RLENGTH == length(ticks)) { end = n + RSTART; break }
        n += RSTART + RLENGTH - 1
      }
      if (!end) { printf "FAIL %s:%d: an unclosed %s in an Error text cell\n", doc, line, ticks; fails++; return }
      span = substr(rest, 1, end - 1)
      if (length(ticks) > 1) span = trim(span)
      check(span, line)
      cell = substr(rest, end + length(ticks))
    }
  }
  /^\|/ {
    ncells = split($0, cells, "|")
    if (!in_table) {  # the header row
      in_table = 1; col = 0; header_line = FNR
      for (i = 2; i < ncells; i++) if (trim(cells[i]) ~ /^Error text/) col = i
      next
    }
    if (FNR == header_line + 1 || !col) next  # the |---| row, or a table without the column
    check_cell(cells[col], FNR)
    next
  }
  { in_table = 0 }
  END {
    printf "docs_error_quotes: %d quotes (%d literal pieces) in %s, %d stale\n", quotes, checked, doc, fails
    exit fails > 0
  }
' "${sources[@]}" "$doc"
