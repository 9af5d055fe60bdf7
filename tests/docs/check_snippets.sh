#!/usr/bin/env bash
# Every ```cpp block of README.md and docs/*.md compiles against the built ember, and the
# complete programs among them run. (ctest docs_snippets; needs only bash, awk and the compiler.)
#
# usage: check_snippets.sh OUT_DIR LIBEMBER INCLUDE_DIR REPO_ROOT -- CXX [FLAG...]
#   OUT_DIR      where the generated sources and executables go (recreated)
#   LIBEMBER     the built shared library; INCLUDE_DIR holds ember/ember.h
#   CXX FLAG...  the compiler (with its launcher, e.g. ccache) and the build's own compile and
#                link options (-fsanitize=... in a sanitizer build must reach the snippets too)
#
# The convention (what a doc writer needs to know):
#   A block is a *program* when a line of it starts with `int main(`: it is compiled alone, with
#   nothing added (its own #includes must suffice), linked, and run; it must exit 0 within 60 s,
#   so it may not need the dataset or a GPU. Any other block is a *fragment*. Fragments are
#   checked per document, in order, in one file that starts with the prelude
#       #include <ember/ember.h>
#       namespace nn = ember::nn; namespace F = ember::nn::functional; using ember::Tensor;
#   so a fragment may use what earlier fragments of the same document declared; the file is linked
#   (with an empty main, not run), so a library function that is declared but not defined fails
#   too. A fragment is
#   namespace-scope code (declarations, definitions) unless an HTML comment on the last non-blank
#   line before its fence says otherwise:
#       <!-- snippet: body -->              statements: they become the body of a function
#       <!-- snippet: body given: CODE -->  likewise, after CODE, which declares what the text
#                                           presumes (CODE may span lines up to the `-->`)
#       <!-- snippet: build-only REASON --> a program that is compiled and linked, not run
#       <!-- snippet: skip REASON -->       not compiled at all (say why)
#   A marker that is not followed (after blank lines only) by a ```cpp block is an error, so a
#   marker cannot silently stop applying. #include lines of any fragment move to the top of its
#   file. Compiler messages point at the markdown file and line (#line directives).
set -uo pipefail

if [ $# -lt 6 ] || [ "$5" != "--" ]; then
  echo "usage: $0 OUT_DIR LIBEMBER INCLUDE_DIR REPO_ROOT -- CXX [FLAG...]" >&2
  exit 2
fi
out="$1" lib="$2" inc="$3" root="$(cd "$4" && pwd)"
shift 5
cxx=("$@")

rm -rf "$out"
mkdir -p "$out"
docs=("$root/README.md")
for f in "$root"/docs/*.md; do docs+=("$f"); done

# One awk pass per document writes the fragments' file and one file per program, and prints
# a manifest: "fragments FILE DOC COUNT", "program FILE DOC:LINE run|build-only",
# "skip DOC:LINE REASON", or "error DOC:LINE MESSAGE".
extract() {  # extract DOC_PATH DOC_NAME STEM
  awk -v doc="$2" -v out="$out" -v stem="$3" '
    function fail(line, msg) { printf "error %s:%d %s\n", doc, line, msg; errors++ }
    function trim(s) { sub(/^[ \t\r\n]+/, "", s); sub(/[ \t\r\n]+$/, "", s); return s }
    function finish_block(   kind, rest, given, is_program, f, n, i, lines) {
      is_program = (code ~ /(^|\n)int main\(/)
      kind = "decls"; rest = ""
      if (has_marker) {
        kind = marker; sub(/[ \t\r\n].*/, "", kind)
        rest = substr(marker, length(kind) + 1); rest = trim(rest)
      }
      if (kind == "skip") {
        if (rest == "") fail(start, "`snippet: skip` needs a reason")
        else printf "skip %s:%d %s\n", doc, start, rest
        return
      }
      if (kind == "build-only") {
        if (rest == "") fail(start, "`snippet: build-only` needs a reason")
        if (!is_program) fail(start, "`snippet: build-only` is for programs, but this block has no `int main(`")
      } else if (kind == "body") {
        if (rest != "" && rest !~ /^given:/) fail(start, "expected `snippet: body` or `snippet: body given: CODE`, got `" marker "`")
        given = rest; sub(/^given:[ \t]*/, "", given)
      } else if (has_marker) {
        fail(start, "unknown snippet marker `" marker "` (expected body, body given: CODE, build-only REASON or skip REASON)")
        return
      }
      if (is_program && kind == "body") { fail(start, "a block with `int main(` is a program; it cannot be a body"); return }
      if (is_program) {
        f = out "/" stem "_L" start ".cpp"
        printf "#line %d \"%s\"\n%s", start + 1, doc, code > f
        close(f)
        printf "program %s %s:%d %s\n", f, doc, start, (kind == "build-only" ? "build-only" : "run")
        return
      }
      # A fragment: hoist its #include lines (blanked in place so that #line stays exact).
      n = split(code, lines, "\n")
      code = ""
      for (i = 1; i < n; i++) {
        if (lines[i] ~ /^[ \t]*#[ \t]*include/) { includes = includes lines[i] "\n"; lines[i] = "" }
        code = code lines[i] "\n"
      }
      if (kind == "body") {
        body_count++
        frag = frag "void snippet_" stem "_L" start "() {\n"
        if (given != "") frag = frag "#line " given_line " \"" doc "\"\n" given "\n"
        frag = frag "#line " (start + 1) " \"" doc "\"\n" code "}\n"
      } else {
        frag = frag "#line " (start + 1) " \"" doc "\"\n" code
      }
      fragments++
    }
    function set_marker(text,   before) {
      # given_line: the line where CODE starts, for the compiler messages.
      before = text; sub(/given:.*/, "", before)
      given_line = marker_line + gsub(/\n/, "", before)
      marker = trim(text); has_marker = 1
    }
    BEGIN { in_block = 0; in_marker = 0; has_marker = 0; marker = ""; fragments = 0; errors = 0 }
    {
      line = $0; sub(/\r$/, "", line)
      if (in_block) {
        if (line ~ /^```[ \t]*$/) { in_block = 0; finish_block(); has_marker = 0; marker = "" }
        else code = code line "\n"
        next
      }
      if (in_marker) {
        if (line ~ /-->/) { sub(/-->.*/, "", line); in_marker = 0; set_marker(marker_text "\n" line) }
        else marker_text = marker_text "\n" line
        next
      }
      if (line ~ /^<!--[ \t]*snippet:/) {
        marker_line = NR
        marker_text = line; sub(/^<!--[ \t]*snippet:[ \t]*/, "", marker_text)
        if (has_marker) fail(marker_line, "two snippet markers in a row")
        if (marker_text ~ /-->/) { sub(/-->.*/, "", marker_text); set_marker(marker_text) }
        else in_marker = 1
        next
      }
      if (line ~ /^```cpp[ \t]*$/) { in_block = 1; start = NR; code = ""; next }
      if (line ~ /^[ \t]*```[ \t]*(cpp|c\+\+|C\+\+|cxx|cc)/) {
        fail(NR, "a C++ block must open with ```cpp at the start of the line to be checked")
        next
      }
      if (line !~ /^[ \t]*$/ && has_marker) {
        fail(marker_line, "a snippet marker must be followed (after blank lines only) by a ```cpp block")
        has_marker = 0; marker = ""
      }
    }
    END {
      if (in_block) fail(start, "the ```cpp block is never closed")
      if (in_marker) fail(marker_line, "the snippet marker is never closed with -->")
      else if (has_marker) fail(marker_line, "a snippet marker must be followed (after blank lines only) by a ```cpp block")
      if (fragments > 0) {
        f = out "/" stem "_fragments.cpp"
        printf "%s", includes > f
        printf "#include <ember/ember.h>\nnamespace nn = ember::nn;\nnamespace F = ember::nn::functional;\nusing ember::Tensor;\n" > f
        printf "%s", frag > f
        printf "#line 1 \"<generated by tests/docs/check_snippets.sh>\"\nint main() {}\n" > f
        close(f)
        printf "fragments %s %s %d\n", f, doc, fragments
      }
    }
  ' "$1"
}

fails=0
built=0
ran=0
skipped=0
manifest="$out/manifest"
: > "$manifest"
for path in "${docs[@]}"; do
  name="${path#"$root"/}"
  stem="$(echo "$name" | tr '/.' '__')"
  extract "$path" "$name" "$stem" >> "$manifest"
done

libdir="$(dirname "$lib")"
build() {  # build SOURCE EXE
  "${cxx[@]}" -std=c++17 -I"$inc" "$1" -o "$2" "$lib" -Wl,-rpath,"$libdir" > "$2.log" 2>&1
}
while read -r what a b c; do
  case "$what" in
    error)
      echo "FAIL $a: $b $c"
      fails=$((fails + 1)) ;;
    skip)
      echo "skip $a: $b $c"
      skipped=$((skipped + 1)) ;;
    fragments|program)
      exe="${a%.cpp}"
      if [ "$what" = fragments ]; then label="$b: its fragments ($c blocks)"; else label="$b: the program"; fi
      if ! build "$a" "$exe"; then
        echo "FAIL $label: compiling $a:"
        cat "$exe.log"
        fails=$((fails + 1))
        continue
      fi
      built=$((built + 1))
      if [ "$what" = program ] && [ "$c" = run ]; then
        timeout 60 "$exe" > "$exe.out" 2>&1
        rc=$?
        if [ "$rc" -eq 0 ]; then
          ran=$((ran + 1))
          echo "ok   $label: built and ran"
        else
          echo "FAIL $label: builds, but exits with $rc when run; its output:"
          cat "$exe.out"
          fails=$((fails + 1))
        fi
      else
        echo "ok   $label: built"
      fi ;;
  esac
done < "$manifest"

echo "docs_snippets: $built files built, $ran programs ran, $skipped blocks skipped, $fails failures"
[ "$fails" -eq 0 ]
