#pragma once
// A small strict JSON reader and the string escaping the writer needs, for safetensors headers.
// It accepts exactly RFC 8259 JSON in valid UTF-8 (no comments, no trailing commas, no NaN) and
// rejects duplicate object keys, so a header means one thing to every reader. Nesting is capped
// (kMaxDepth) so a hostile header cannot exhaust the stack.
#include <cstddef>
#include <string>
#include <vector>

namespace ember {
namespace json {

constexpr int kMaxDepth = 64;

struct Value {
  enum class Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  std::string text;               // String: the decoded text; Number: the literal as written
  std::vector<Value> items;       // Array elements; Object values (keys[i] names items[i])
  std::vector<std::string> keys;  // Object keys, in file order, all distinct
};

const char* kind_name(Value::Kind kind);

/// Parses data[0, size) as one JSON value, allowing whitespace around it. Throws ember::Error
/// "<where>: JSON syntax error at byte <k>: <what was expected>".
Value parse(const char* data, size_t size, const std::string& where);

/// Whether s is valid UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF); on
/// failure *bad_at is the offset of the first bad byte.
bool valid_utf8(const char* s, size_t n, size_t* bad_at = nullptr);

/// s as a JSON string literal, quotes included (control characters as \u00XX).
std::string quote(const std::string& s);

}  // namespace json
}  // namespace ember
