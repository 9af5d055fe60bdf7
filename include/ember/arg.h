#pragma once
// EMBER_ARG(T, name): one option of an options struct, as LibTorch's TORCH_ARG: a chainable
// setter `name(value)` returning the struct, and getters `name()`. The initialiser written after
// the macro is the default:
//   struct MyOptions { EMBER_ARG(double, scale) = 1.0; };
#include <utility>

#define EMBER_ARG(T, name)                                 \
 public:                                                   \
  auto name(T new_##name)->decltype(*this) {               \
    this->name##_ = std::move(new_##name);                 \
    return *this;                                          \
  }                                                        \
  const T& name() const noexcept { return this->name##_; } \
  T& name() noexcept { return this->name##_; }             \
                                                           \
 private:                                                  \
  T name##_
