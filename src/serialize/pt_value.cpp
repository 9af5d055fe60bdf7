// PtValue (ember/pt_file.h): the tree a .pt file's pickle becomes.
#include "ember/pt_file.h"

namespace ember {

PtValue PtValue::from_bool(bool b) {
  PtValue v;
  v.kind_ = Kind::Bool;
  v.b_ = b;
  return v;
}

PtValue PtValue::from_int(int64_t i) {
  PtValue v;
  v.kind_ = Kind::Int;
  v.i_ = i;
  return v;
}

PtValue PtValue::from_double(double d) {
  PtValue v;
  v.kind_ = Kind::Double;
  v.d_ = d;
  return v;
}

PtValue PtValue::from_string(std::string s, Kind kind) {
  EMBER_ASSERT(kind == Kind::String || kind == Kind::Bytes || kind == Kind::Global, "PtValue::from_string");
  PtValue v;
  v.kind_ = kind;
  v.s_ = std::make_shared<const std::string>(std::move(s));
  return v;
}

PtValue PtValue::from_tensor(Tensor t, Kind kind) {
  EMBER_ASSERT(kind == Kind::Tensor || kind == Kind::Storage, "PtValue::from_tensor");
  PtValue v;
  v.kind_ = kind;
  v.t_ = std::move(t);
  return v;
}

PtValue PtValue::container(Kind kind, std::string class_name) {
  EMBER_ASSERT(kind == Kind::List || kind == Kind::Tuple || kind == Kind::Dict || kind == Kind::Object,
               "PtValue::container");
  PtValue v;
  v.kind_ = kind;
  v.node_ = std::make_shared<Node>();
  v.node_->class_name = std::move(class_name);
  return v;
}

const char* PtValue::kind_name() const {
  switch (kind_) {
    case Kind::None: return "None";
    case Kind::Bool: return "Bool";
    case Kind::Int: return "Int";
    case Kind::Double: return "Double";
    case Kind::String: return "String";
    case Kind::Bytes: return "Bytes";
    case Kind::Tensor: return "Tensor";
    case Kind::List: return "List";
    case Kind::Tuple: return "Tuple";
    case Kind::Dict: return "Dict";
    case Kind::Object: return "Object";
    case Kind::Global: return "Global";
    case Kind::Storage: return "Storage";
  }
  return "?";
}

bool PtValue::toBool() const {
  EMBER_CHECK(kind_ == Kind::Bool, "Expected Bool but got ", kind_name());
  return b_;
}

int64_t PtValue::toInt() const {
  EMBER_CHECK(kind_ == Kind::Int, "Expected Int but got ", kind_name());
  return i_;
}

double PtValue::toDouble() const {
  EMBER_CHECK(kind_ == Kind::Double, "Expected Double but got ", kind_name());
  return d_;
}

const std::string& PtValue::toStringRef() const {
  EMBER_CHECK(kind_ == Kind::String || kind_ == Kind::Bytes || kind_ == Kind::Global, "Expected String but got ",
              kind_name());
  return *s_;
}

const Tensor& PtValue::toTensor() const {
  EMBER_CHECK(kind_ == Kind::Tensor || kind_ == Kind::Storage, "Expected Tensor but got ", kind_name());
  return t_;
}

const std::vector<PtValue>& PtValue::elements() const {
  EMBER_CHECK(kind_ == Kind::List || kind_ == Kind::Tuple, "Expected List or Tuple but got ", kind_name());
  return node_->elements;
}

const std::vector<std::pair<PtValue, PtValue>>& PtValue::entries() const {
  EMBER_CHECK(kind_ == Kind::Dict || kind_ == Kind::Object, "Expected Dict or Object but got ", kind_name());
  return node_->entries;
}

const std::string& PtValue::class_name() const {
  EMBER_CHECK(kind_ == Kind::Object, "Expected Object but got ", kind_name());
  return node_->class_name;
}

const PtValue* PtValue::find(const std::string& key) const {
  if (kind_ != Kind::Dict && kind_ != Kind::Object) return nullptr;
  for (const auto& e : node_->entries)
    if (e.first.kind_ == Kind::String && *e.first.s_ == key) return &e.second;
  return nullptr;
}

}  // namespace ember
