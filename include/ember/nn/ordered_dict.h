#pragma once
// OrderedDict: a map that remembers insertion order, as torch::OrderedDict. Modules keep
// their parameters, buffers and children in one, so named_parameters() lists them in the
// order they were registered (which is also the order PyTorch uses, so names and order
// match a state_dict).
#include <cstddef>
#include <initializer_list>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ember/error.h"

namespace ember {

template <typename Key, typename Value>
class OrderedDict {
 public:
  /// One entry: key() and value(), and * / -> reach the value, as LibTorch's Item.
  class Item {
   public:
    Item(Key key, Value value) : pair_(std::move(key), std::move(value)) {}
    Value& operator*() { return pair_.second; }
    const Value& operator*() const { return pair_.second; }
    Value* operator->() { return &pair_.second; }
    const Value* operator->() const { return &pair_.second; }
    const Key& key() const noexcept { return pair_.first; }
    Value& value() noexcept { return pair_.second; }
    const Value& value() const noexcept { return pair_.second; }
    const std::pair<Key, Value>& pair() const noexcept { return pair_; }

   private:
    std::pair<Key, Value> pair_;
  };
  using Iterator = typename std::vector<Item>::iterator;
  using ConstIterator = typename std::vector<Item>::const_iterator;

  /// key_description names what the keys are ("Parameter", "Submodule") in error messages.
  explicit OrderedDict(std::string key_description = "Key") : key_description_(std::move(key_description)) {}
  OrderedDict(std::initializer_list<Item> items) {
    for (const Item& item : items) insert(item.key(), item.value());
  }

  const std::string& key_description() const noexcept { return key_description_; }

  // Each non-const accessor is its const one (the checks are written once).
  Item& front() { return const_cast<Item&>(std::as_const(*this).front()); }
  const Item& front() const {
    check_nonempty("front");
    return items_.front();
  }
  Item& back() { return const_cast<Item&>(std::as_const(*this).back()); }
  const Item& back() const {
    check_nonempty("back");
    return items_.back();
  }

  /// Positional access: the index-th inserted item.
  Item& operator[](size_t index) { return const_cast<Item&>(std::as_const(*this)[index]); }
  const Item& operator[](size_t index) const {
    check_index(index);
    return items_[index];
  }
  /// Keyed access; a missing key throws, naming it.
  Value& operator[](const Key& key) { return const_cast<Value&>(std::as_const(*this)[key]); }
  const Value& operator[](const Key& key) const {
    const Value* v = find(key);
    EMBER_CHECK(v != nullptr, key_description_, " '", key, "' is not defined");
    return *v;
  }
  Value* find(const Key& key) noexcept { return const_cast<Value*>(std::as_const(*this).find(key)); }
  const Value* find(const Key& key) const noexcept {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &items_[it->second].value();
  }
  bool contains(const Key& key) const noexcept { return index_.count(key) != 0; }

  Iterator begin() { return items_.begin(); }
  ConstIterator begin() const { return items_.begin(); }
  Iterator end() { return items_.end(); }
  ConstIterator end() const { return items_.end(); }
  size_t size() const noexcept { return items_.size(); }
  bool is_empty() const noexcept { return items_.empty(); }
  bool empty() const noexcept { return items_.empty(); }
  void reserve(size_t n) {
    index_.reserve(n);
    items_.reserve(n);
  }

  /// Adds a new key; inserting an existing key throws (as LibTorch), so two parameters
  /// or submodules can never silently share a name.
  template <typename K, typename V>
  Value& insert(K&& key, V&& value) {
    EMBER_CHECK(index_.count(key) == 0, key_description_, " '", key, "' already defined");
    items_.emplace_back(Key(std::forward<K>(key)), Value(std::forward<V>(value)));
    index_.emplace(items_.back().key(), items_.size() - 1);
    return items_.back().value();
  }
  Value& insert(Key key, Value&& value) {
    EMBER_CHECK(index_.count(key) == 0, key_description_, " '", key, "' already defined");
    items_.emplace_back(std::move(key), std::move(value));
    index_.emplace(items_.back().key(), items_.size() - 1);
    return items_.back().value();
  }
  /// Inserts every item of `other`, in its order.
  void update(const OrderedDict& other) {
    for (const Item& item : other) insert(item.key(), item.value());
  }
  void update(OrderedDict&& other) {
    for (Item& item : other) insert(item.key(), std::move(item.value()));
  }
  void erase(const Key& key) {
    auto it = index_.find(key);
    EMBER_CHECK(it != index_.end(), key_description_, " '", key, "' is not defined");
    const size_t pos = it->second;
    items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(pos));
    index_.erase(it);
    for (auto& entry : index_)
      if (entry.second > pos) --entry.second;
  }
  void clear() {
    index_.clear();
    items_.clear();
  }

  const std::vector<Item>& items() const noexcept { return items_; }
  std::vector<Key> keys() const {
    std::vector<Key> out;
    out.reserve(items_.size());
    for (const Item& item : items_) out.push_back(item.key());
    return out;
  }
  std::vector<Value> values() const {
    std::vector<Value> out;
    out.reserve(items_.size());
    for (const Item& item : items_) out.push_back(item.value());
    return out;
  }
  std::vector<std::pair<Key, Value>> pairs() const {
    std::vector<std::pair<Key, Value>> out;
    out.reserve(items_.size());
    for (const Item& item : items_) out.push_back(item.pair());
    return out;
  }

 private:
  void check_nonempty(const char* what) const {
    EMBER_CHECK(!items_.empty(), "OrderedDict::", what, ": called on an empty OrderedDict");
  }
  void check_index(size_t index) const {
    EMBER_CHECK(index < items_.size(), "OrderedDict: index ", index, " is out of range for ", items_.size(), " items");
  }

  std::unordered_map<Key, size_t> index_;
  std::vector<Item> items_;
  std::string key_description_ = "Key";
};

}  // namespace ember
