#pragma once
// A small tagged value for AutogradContext::saved_data: LibTorch stores at::IValue there. ember's
// holds what a custom function typically keeps between forward and backward (a tensor, a double,
// an integer, a bool, a string) with LibTorch's accessor names.
#include <cstdint>
#include <string>
#include <variant>

#include "ember/tensor.h"

namespace ember {

class EMBER_API IValue {
 public:
  IValue() = default;                            // None
  IValue(Tensor t) : v_(std::move(t)) {}         // NOLINT: implicit, as LibTorch's
  IValue(double d) : v_(d) {}                    // NOLINT
  IValue(float d) : v_(double(d)) {}             // NOLINT
  IValue(int64_t i) : v_(i) {}                   // NOLINT
  IValue(int i) : v_(int64_t(i)) {}              // NOLINT
  IValue(bool b) : v_(b) {}                      // NOLINT
  IValue(std::string s) : v_(std::move(s)) {}    // NOLINT
  IValue(const char* s) : v_(std::string(s)) {}  // NOLINT

  bool isNone() const { return v_.index() == 0; }
  bool isTensor() const { return v_.index() == 1; }
  bool isDouble() const { return v_.index() == 2; }
  bool isInt() const { return v_.index() == 3; }
  bool isBool() const { return v_.index() == 4; }
  bool isString() const { return v_.index() == 5; }

  /// Each accessor throws ember::Error naming both kinds when the value holds another kind
  /// ("Expected Double but got Int"), as LibTorch's do.
  const Tensor& toTensor() const;
  double toDouble() const;
  int64_t toInt() const;
  bool toBool() const;
  const std::string& toStringRef() const;
  /// "None", "Tensor", "Double", "Int", "Bool" or "String".
  std::string tagKind() const;

 private:
  std::variant<std::monostate, Tensor, double, int64_t, bool, std::string> v_;
};

}  // namespace ember
