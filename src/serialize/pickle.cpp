// The restricted pickle machine (pickle.h). Pickles are programs for a stack machine; this one
// runs only the data-building opcodes, checks every length against the bytes left and every
// memo index against the memo, and keeps two rules that make the result a finite tree even
// for hostile input: a container put inside another is frozen (no later APPEND, SETITEM or
// BUILD changes it, so no cycle can form and every container's height is exact), and no
// chain of containers is deeper than kMaxDepth (so walking or freeing a tree never overflows
// the stack). torch.save's pickles obey both: Python's pickler fills a container before its
// parent takes it.
#include "pickle.h"

#include <cstring>
#include <unordered_map>
#include <vector>

#include "ember/error.h"

namespace ember {
namespace pickle {

namespace {

class Machine {
 public:
  Machine(const std::string& data, const Hooks& hooks) : d_(data), h_(hooks) {}

  PtValue run() {
    for (;;) {
      const size_t at = pos_;
      const unsigned char op = byte();
      op_at_ = at;
      switch (op) {
        case 0x80: {  // PROTO
          const unsigned v = byte();
          if (v < 2 || v > 5) fail(detail::str("pickle protocol ", v, " (ember reads protocols 2 to 5)"));
          break;
        }
        case 0x95: take(8); break;  // FRAME: a length hint only
        case '.': {                 // STOP
          if (stack_.size() != 1 || !marks_.empty())
            fail(detail::str("STOP with ", stack_.size(), " values on the stack and ", marks_.size(),
                             " open marks (a pickle ends with exactly its result)"));
          PtValue result = pop();
          if (result.kind() == PtValue::Kind::Global)
            fail("the result is a reference to " + result.toStringRef() + ", not data");
          return result;
        }
        case '(': marks_.push_back(stack_.size()); break;  // MARK
        case '0': pop(); break;                            // POP
        case '1': since_mark(); break;                     // POP_MARK
        case '2': push(top()); break;                      // DUP
        case 'N': push(PtValue()); break;
        case 0x88: push(PtValue::from_bool(true)); break;
        case 0x89: push(PtValue::from_bool(false)); break;
        case 'J': push(PtValue::from_int(int32_t(le(4)))); break;  // BININT
        case 'K': push(PtValue::from_int(int64_t(le(1)))); break;  // BININT1
        case 'M': push(PtValue::from_int(int64_t(le(2)))); break;  // BININT2
        case 0x8a: push(long_int(le(1))); break;                   // LONG1
        case 0x8b: push(long_int(le(4))); break;                   // LONG4
        case 'G': {                                                // BINFLOAT, big-endian
          const char* p = take(8);
          uint64_t bits = 0;
          for (int i = 0; i < 8; ++i) bits = bits << 8 | uint8_t(p[i]);
          double v;
          std::memcpy(&v, &bits, 8);
          push(PtValue::from_double(v));
          break;
        }
        case 'X': push(PtValue::from_string(text(le(4)))); break;   // BINUNICODE
        case 0x8c: push(PtValue::from_string(text(le(1)))); break;  // SHORT_BINUNICODE
        case 0x8d: push(PtValue::from_string(text(le(8)))); break;  // BINUNICODE8
        case 'T': push(PtValue::from_string(text(le(4)))); break;   // BINSTRING (Python 2 str)
        case 'U': push(PtValue::from_string(text(le(1)))); break;   // SHORT_BINSTRING
        case 'B': push(PtValue::from_string(text(le(4)), PtValue::Kind::Bytes)); break;
        case 'C': push(PtValue::from_string(text(le(1)), PtValue::Kind::Bytes)); break;
        case 0x8e: push(PtValue::from_string(text(le(8)), PtValue::Kind::Bytes)); break;
        case ')': push(PtValue::container(PtValue::Kind::Tuple)); break;
        case 't': push(tuple(since_mark())); break;
        case 0x85: push(tuple(pop_n(1))); break;
        case 0x86: push(tuple(pop_n(2))); break;
        case 0x87: push(tuple(pop_n(3))); break;
        case ']': push(PtValue::container(PtValue::Kind::List)); break;
        case 'l': {  // LIST
          std::vector<PtValue> items = since_mark();
          PtValue list = PtValue::container(PtValue::Kind::List);
          for (PtValue& v : items) append(list, std::move(v));
          push(list);
          break;
        }
        case 'a': {  // APPEND
          PtValue v = pop();
          append(top_of(PtValue::Kind::List, "APPEND"), std::move(v));
          break;
        }
        case 'e': {  // APPENDS
          std::vector<PtValue> items = since_mark();
          PtValue& list = top_of(PtValue::Kind::List, "APPENDS");
          for (PtValue& v : items) append(list, std::move(v));
          break;
        }
        case '}': push(PtValue::container(PtValue::Kind::Dict)); break;
        case 'd': {  // DICT
          std::vector<PtValue> items = since_mark();
          PtValue dict = PtValue::container(PtValue::Kind::Dict);
          set_items(dict, items);
          push(dict);
          break;
        }
        case 's': {  // SETITEM
          std::vector<PtValue> kv = pop_n(2);
          set_items(top_of(PtValue::Kind::Dict, "SETITEM"), kv);
          break;
        }
        case 'u': {  // SETITEMS
          std::vector<PtValue> items = since_mark();
          set_items(top_of(PtValue::Kind::Dict, "SETITEMS"), items);
          break;
        }
        case 'c': {  // GLOBAL "module\nname\n"
          const std::string module = line(), name = line();
          push(h_.global(module, name));
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          std::vector<PtValue> mn = pop_n(2);
          if (mn[0].kind() != PtValue::Kind::String || mn[1].kind() != PtValue::Kind::String)
            fail("STACK_GLOBAL needs two strings (module and name)");
          push(h_.global(mn[0].toStringRef(), mn[1].toStringRef()));
          break;
        }
        case 'R': {  // REDUCE
          PtValue args = pop();
          PtValue callable = pop();
          if (callable.kind() != PtValue::Kind::Global) fail(detail::str("REDUCE calls a ", callable.kind_name()));
          if (args.kind() != PtValue::Kind::Tuple) fail(detail::str("REDUCE's arguments are a ", args.kind_name()));
          push(h_.call(callable, args));
          break;
        }
        case 0x81: {  // NEWOBJ cls args: only TorchScript classes, which become plain objects
          PtValue args = pop();
          PtValue cls = pop();
          if (cls.kind() != PtValue::Kind::Global || cls.toStringRef().rfind("__torch__.", 0) != 0)
            fail(detail::str("NEWOBJ of ", cls.kind() == PtValue::Kind::Global ? cls.toStringRef() : cls.kind_name(),
                             " (only TorchScript classes, __torch__.*, are built)"));
          if (args.kind() != PtValue::Kind::Tuple || !args.elements().empty())
            fail("NEWOBJ of " + cls.toStringRef() + " with arguments (TorchScript objects are built empty)");
          push(PtValue::container(PtValue::Kind::Object, cls.toStringRef()));
          break;
        }
        case 'b': build(); break;
        case 'Q': {  // BINPERSID
          PtValue pid = pop();
          push(h_.persistent_load(pid));
          break;
        }
        case 'q': memo_put(le(1)); break;          // BINPUT
        case 'r': memo_put(le(4)); break;          // LONG_BINPUT
        case 0x94: memo_put(memo_.size()); break;  // MEMOIZE
        case 'h': push(memo_get(le(1))); break;    // BINGET
        case 'j': push(memo_get(le(4))); break;    // LONG_BINGET
        default:
          fail(detail::str("opcode 0x", hex(op), " ('", printable(op),
                           "') is not one ember's restricted unpickler runs (torch.save's pickles do not use it)"));
      }
    }
  }

 private:
  const std::string& d_;
  const Hooks& h_;
  size_t pos_ = 0, op_at_ = 0;
  std::vector<PtValue> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PtValue> memo_;

  [[noreturn]] void fail(const std::string& what) const {
    h_.fail(detail::str(what, " (opcode at byte ", op_at_, ")"));
    throw Error(what);  // not reached: fail throws
  }
  static std::string hex(unsigned v) {
    const char* digits = "0123456789abcdef";
    return std::string{digits[(v >> 4) & 15], digits[v & 15]};
  }
  static char printable(unsigned char c) { return c >= 32 && c < 127 ? char(c) : '?'; }

  const char* take(uint64_t n) {
    if (n > d_.size() - pos_)
      fail(detail::str("the pickle ends inside an opcode's argument (", n, " bytes wanted, ", d_.size() - pos_,
                       " left): truncated"));
    const char* p = d_.data() + pos_;
    pos_ += size_t(n);
    return p;
  }
  unsigned char byte() {
    if (pos_ >= d_.size()) {
      op_at_ = pos_;
      fail("the pickle ends without STOP: truncated");
    }
    return uint8_t(d_[pos_++]);
  }
  uint64_t le(int n) {
    const char* p = take(uint64_t(n));
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = v << 8 | uint8_t(p[i]);
    return v;
  }
  std::string text(uint64_t n) {
    const char* p = take(n);
    return std::string(p, size_t(n));
  }
  std::string line() {
    const size_t nl = d_.find('\n', pos_);
    if (nl == std::string::npos) fail("GLOBAL's name does not end: truncated");
    std::string s = d_.substr(pos_, nl - pos_);
    pos_ = nl + 1;
    return s;
  }
  PtValue long_int(uint64_t n) {
    if (n > 8) fail(detail::str("an integer of ", n, " bytes (more than int64 holds)"));
    const char* p = take(n);
    uint64_t v = 0;
    for (uint64_t i = n; i-- > 0;) v = v << 8 | uint8_t(p[i]);
    if (n > 0 && n < 8 && (uint8_t(p[n - 1]) & 0x80)) v |= ~uint64_t(0) << (8 * n);  // sign-extend
    return PtValue::from_int(int64_t(v));
  }

  void push(PtValue v) { stack_.push_back(std::move(v)); }
  PtValue pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() == marks_.back()))
      fail("an opcode takes a value from an empty stack (or across a MARK)");
    PtValue v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  PtValue& top() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() == marks_.back()))
      fail("an opcode needs a value on the stack");
    return stack_.back();
  }
  std::vector<PtValue> pop_n(size_t n) {
    const size_t floor = marks_.empty() ? 0 : marks_.back();
    if (stack_.size() - floor < n) fail(detail::str("an opcode takes ", n, " values but the stack holds fewer"));
    std::vector<PtValue> out(std::make_move_iterator(stack_.end() - std::ptrdiff_t(n)),
                             std::make_move_iterator(stack_.end()));
    stack_.resize(stack_.size() - n);
    return out;
  }
  std::vector<PtValue> since_mark() {
    if (marks_.empty()) fail("an opcode needs a MARK and there is none");
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<PtValue> out(std::make_move_iterator(stack_.begin() + std::ptrdiff_t(m)),
                             std::make_move_iterator(stack_.end()));
    stack_.resize(m);
    return out;
  }
  PtValue& top_of(PtValue::Kind kind, const char* op) {
    PtValue& t = top();
    if (t.kind() != kind) fail(detail::str(op, " on a ", t.kind_name()));
    return t;
  }

  // The two tree rules (see the top of the file), applied whenever a value enters a container.
  void adopt(PtValue::Node& parent, const PtValue& child) {
    if (parent.frozen) fail("a container is changed after it was put inside another (torch.save never does this)");
    const auto& c = child.node();
    if (!c) return;
    if (c.get() == &parent) fail("a container is put inside itself");
    c->frozen = true;
    parent.height = std::max(parent.height, c->height + 1);
    if (parent.height > kMaxDepth) fail(detail::str("containers nest deeper than ", kMaxDepth, " levels"));
  }
  void append(PtValue& list, PtValue v) {
    adopt(*list.node(), v);
    list.node()->elements.push_back(std::move(v));
  }
  PtValue tuple(std::vector<PtValue> items) {
    PtValue t = PtValue::container(PtValue::Kind::Tuple);
    for (PtValue& v : items) append(t, std::move(v));
    return t;
  }
  void set_items(PtValue& dict, std::vector<PtValue>& kv) {
    if (kv.size() % 2) fail("SETITEMS with an odd number of values (keys without a value)");
    PtValue::Node& n = *dict.node();
    for (size_t i = 0; i < kv.size(); i += 2) {
      adopt(n, kv[i]);
      adopt(n, kv[i + 1]);
      // A repeated key is kept twice (Python would replace the value; torch.save never repeats a
      // key): pt_tensors refuses the duplicate, and no search makes a huge dict quadratic.
      n.entries.emplace_back(std::move(kv[i]), std::move(kv[i + 1]));
    }
  }
  // BUILD: a TorchScript object takes its attributes from a dict of strings; an OrderedDict's
  // state (state_dict's _metadata, the version numbers of each module) is dropped.
  void build() {
    PtValue state = pop();
    PtValue& obj = top();
    if (obj.kind() == PtValue::Kind::Dict) return;
    if (obj.kind() != PtValue::Kind::Object) fail(detail::str("BUILD on a ", obj.kind_name()));
    if (state.kind() != PtValue::Kind::Dict)
      fail(detail::str("BUILD of ", obj.class_name(), " with a ", state.kind_name(),
                       " state (TorchScript objects are built from a dict of attributes)"));
    std::vector<PtValue> kv;
    for (const auto& e : state.entries()) {
      if (e.first.kind() != PtValue::Kind::String)
        fail(detail::str("an attribute of ", obj.class_name(), " is named by a ", e.first.kind_name()));
      kv.push_back(e.first);
      kv.push_back(e.second);
    }
    set_items(obj, kv);
  }
  void memo_put(uint64_t i) { memo_[i] = top(); }
  PtValue memo_get(uint64_t i) {
    auto it = memo_.find(i);
    if (it == memo_.end()) fail(detail::str("memo entry ", i, " is read before it is written"));
    return it->second;
  }
};

}  // namespace

PtValue unpickle(const std::string& data, const Hooks& hooks) { return Machine(data, hooks).run(); }

}  // namespace pickle
}  // namespace ember
