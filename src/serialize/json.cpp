// The strict JSON reader of json.h: a recursive-descent parser over a byte range. Every error
// names the byte offset and what the grammar wanted there, so a corrupt header is easy to find.
#include "json.h"

#include <cstdint>
#include <set>

#include "ember/error.h"

namespace ember {
namespace json {

const char* kind_name(Value::Kind kind) {
  switch (kind) {
    case Value::Kind::Null: return "null";
    case Value::Kind::Bool: return "a boolean";
    case Value::Kind::Number: return "a number";
    case Value::Kind::String: return "a string";
    case Value::Kind::Array: return "an array";
    case Value::Kind::Object: return "an object";
  }
  return "?";
}

bool valid_utf8(const char* s, size_t n, size_t* bad_at) {
  const auto* p = reinterpret_cast<const unsigned char*>(s);
  size_t i = 0;
  auto fail = [&] {
    if (bad_at) *bad_at = i;
    return false;
  };
  while (i < n) {
    const unsigned c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
      min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
      min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
      min = 0x10000;
    } else return fail();
    if (n - i < size_t(len)) return fail();
    for (int k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return fail();
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return fail();
    i += size_t(len);
  }
  return true;
}

std::string quote(const std::string& s) {
  static const char* hex = "0123456789abcdef";
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c < 0x20) {
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

namespace {

class Parser {
 public:
  Parser(const char* data, size_t size, const std::string& where) : p_(data), n_(size), where_(where) {}

  Value document() {
    size_t bad = 0;
    if (!valid_utf8(p_, n_, &bad)) {
      i_ = bad;
      fail("the text is not valid UTF-8");
    }
    skip_ws();
    Value v = value(0);
    skip_ws();
    if (i_ != n_) fail("only whitespace may follow the top-level value");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(detail::str(where_, ": JSON syntax error at byte ", i_, ": ", what));
  }
  bool at_end() const { return i_ >= n_; }
  char peek() const { return at_end() ? '\0' : p_[i_]; }
  void skip_ws() {
    while (!at_end() && (p_[i_] == ' ' || p_[i_] == '\t' || p_[i_] == '\n' || p_[i_] == '\r')) ++i_;
  }
  void expect(char c, const char* context) {
    if (at_end() || p_[i_] != c) fail(detail::str("expected '", c, "' ", context));
    ++i_;
  }

  Value value(int depth) {
    if (at_end()) fail("unexpected end of text, expected a value");
    const char c = p_[i_];
    if (c == '{') return object(depth + 1);
    if (c == '[') return array(depth + 1);
    if (c == '"') {
      Value v;
      v.kind = Value::Kind::String;
      v.text = string();
      return v;
    }
    if (c == '-' || (c >= '0' && c <= '9')) return number();
    if (literal("true")) {
      Value v;
      v.kind = Value::Kind::Bool;
      v.boolean = true;
      return v;
    }
    if (literal("false")) {
      Value v;
      v.kind = Value::Kind::Bool;
      return v;
    }
    if (literal("null")) return Value();
    fail(detail::str("unexpected character '", printable(c), "', expected a value"));
  }

  static std::string printable(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F) return std::string(1, c);
    return detail::str("\\x", "0123456789abcdef"[u >> 4], "0123456789abcdef"[u & 15]);
  }

  bool literal(const char* word) {
    size_t k = 0;
    while (word[k] != '\0') {
      if (i_ + k >= n_ || p_[i_ + k] != word[k]) return false;
      ++k;
    }
    i_ += k;
    return true;
  }

  void check_depth(int depth) {
    if (depth > kMaxDepth) fail(detail::str("values are nested more than ", kMaxDepth, " deep"));
  }

  /// Skips c (and says so) when it is next.
  bool consume(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }

  /// The start of an object or an array: the depth check, the kind, and past the opening bracket.
  Value open(Value::Kind kind, int depth) {
    check_depth(depth);
    Value v;
    v.kind = kind;
    ++i_;  // '{' or '['
    skip_ws();
    return v;
  }

  /// After an object member or an array element, the one rule of both: ',' says another follows
  /// (true), the closing bracket ends the value (false), anything else is an error.
  bool another(char close, const char* after) {
    skip_ws();
    if (consume(',')) return true;
    if (consume(close)) return false;
    fail(detail::str("expected ',' or '", close, "' after ", after));
  }

  Value object(int depth) {
    Value v = open(Value::Kind::Object, depth);
    if (consume('}')) return v;
    std::set<std::string> seen;
    do {
      skip_ws();
      if (peek() != '"') fail("expected '\"' to start an object key");
      const size_t key_at = i_;
      std::string key = string();
      if (!seen.insert(key).second) {
        i_ = key_at;
        fail(detail::str("duplicate key ", quote(key), " in an object"));
      }
      skip_ws();
      expect(':', "after an object key");
      skip_ws();
      Value item = value(depth);
      v.keys.push_back(std::move(key));
      v.items.push_back(std::move(item));
    } while (another('}', "an object member"));
    return v;
  }

  Value array(int depth) {
    Value v = open(Value::Kind::Array, depth);
    if (consume(']')) return v;
    do {
      skip_ws();
      v.items.push_back(value(depth));
    } while (another(']', "an array element"));
    return v;
  }

  // -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?
  Value number() {
    const size_t start = i_;
    auto digits = [&](const char* what) {
      if (at_end() || p_[i_] < '0' || p_[i_] > '9') fail(detail::str("expected a digit ", what));
      while (!at_end() && p_[i_] >= '0' && p_[i_] <= '9') ++i_;
    };
    if (peek() == '-') ++i_;
    if (peek() == '0') {
      ++i_;
      if (peek() >= '0' && peek() <= '9') fail("numbers may not have leading zeros");
    } else {
      digits("in a number");
    }
    if (peek() == '.') {
      ++i_;
      digits("after a decimal point");
    }
    if (peek() == 'e' || peek() == 'E') {
      ++i_;
      if (peek() == '+' || peek() == '-') ++i_;
      digits("in an exponent");
    }
    Value v;
    v.kind = Value::Kind::Number;
    v.text.assign(p_ + start, i_ - start);
    return v;
  }

  unsigned hex4() {
    unsigned u = 0;
    for (int k = 0; k < 4; ++k) {
      if (at_end()) fail("unexpected end of text in a \\u escape");
      const char c = p_[i_];
      unsigned d;
      if (c >= '0' && c <= '9') d = unsigned(c - '0');
      else if (c >= 'a' && c <= 'f') d = unsigned(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') d = unsigned(c - 'A' + 10);
      else fail("expected 4 hex digits after \\u");
      u = u * 16 + d;
      ++i_;
    }
    return u;
  }

  static void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += char(0xE0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    } else {
      out += char(0xF0 | (cp >> 18));
      out += char(0x80 | ((cp >> 12) & 0x3F));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    }
  }

  std::string string() {
    ++i_;  // '"'
    std::string out;
    for (;;) {
      if (at_end()) fail("unterminated string");
      const char c = p_[i_];
      if (c == '"') {
        ++i_;
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) fail("control characters must be escaped inside strings");
      if (c != '\\') {
        out += c;
        ++i_;
        continue;
      }
      ++i_;
      if (at_end()) fail("unterminated escape in a string");
      const char e = p_[i_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp = hex4();
          if (cp >= 0xDC00 && cp <= 0xDFFF) fail("a low surrogate \\u escape without a high one before it");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (!literal("\\u")) fail("a high surrogate \\u escape must be followed by a low one");
            const uint32_t lo = hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) fail("a high surrogate \\u escape must be followed by a low one");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default: --i_; fail(detail::str("invalid escape '\\", printable(e), "' in a string"));
      }
    }
  }

  const char* p_;
  size_t n_;
  size_t i_ = 0;
  const std::string& where_;
};

}  // namespace

Value parse(const char* data, size_t size, const std::string& where) { return Parser(data, size, where).document(); }

}  // namespace json
}  // namespace ember
