#pragma once
// LibTorch's option tags (torch/enum.h): each is an empty type enumtype::kName and a constant
// ember::kName of that type. An option that takes some of them is a std::variant of those types,
// so `F::interpolate(x, F::InterpolateFuncOptions().mode(ember::kBilinear))` compiles as it does
// with torch::, and a tag an option does not take is a compile error. Listed once, here.
// (kSELU is ember's: LibTorch 1.13 has no SELU nonlinearity tag, while PyTorch's
// calculate_gain('selu') gives 3/4.)
#include <string>
#include <variant>

#define EMBER_ENUM_TAGS(X)                                                                                           \
  X(Linear)                                                                                                          \
  X(Conv1D)                                                                                                          \
  X(Conv2D)                                                                                                          \
  X(Conv3D)                                                                                                          \
  X(ConvTranspose1D) X(ConvTranspose2D) X(ConvTranspose3D) X(Sigmoid) X(Tanh) X(ReLU) X(LeakyReLU) X(SELU) X(FanIn)  \
      X(FanOut) X(Constant) X(Reflect) X(Replicate) X(Circular) X(Zeros) X(Same) X(Valid) X(Nearest) X(NearestExact) \
          X(Bilinear) X(Bicubic) X(Trilinear) X(Area)

namespace ember {
namespace enumtype {
#define EMBER_ENUM_TAG_TYPE(Name)                              \
  struct k##Name {                                             \
    constexpr bool operator==(k##Name) const { return true; }  \
    constexpr bool operator!=(k##Name) const { return false; } \
    static constexpr const char* name() { return #Name; }      \
  };
EMBER_ENUM_TAGS(EMBER_ENUM_TAG_TYPE)
#undef EMBER_ENUM_TAG_TYPE
}  // namespace enumtype

#define EMBER_ENUM_TAG_CONSTANT(Name) constexpr enumtype::k##Name k##Name{};
EMBER_ENUM_TAGS(EMBER_ENUM_TAG_CONSTANT)
#undef EMBER_ENUM_TAG_CONSTANT
#undef EMBER_ENUM_TAGS

/// The tag a variant holds, as LibTorch's torch::enumtype::get_enum_name prints it ("kBilinear").
template <typename... Tags>
std::string get_enum_name(const std::variant<Tags...>& v) {
  return std::visit([](auto tag) { return std::string("k") + decltype(tag)::name(); }, v);
}

}  // namespace ember
