// LayerBase's printer: LibTorch's one-line "ember::nn::ELU(alpha=1, inplace=true)".
#include "ember/nn/options_module.h"

#include <ostream>

namespace ember {
namespace nn {

void LayerBase::print(std::ostream& stream, std::initializer_list<LayerField> fields) const {
  stream << "ember::nn::" << layer_name_ << "(";
  const char* separator = "";
  for (const LayerField& field : fields) {
    if (!field.shown) continue;
    // LibTorch's printers write flags with std::boolalpha, which stays set: a program's later
    // bools print as true/false, as they do after LibTorch printed the layer.
    if (field.is_flag) stream << std::boolalpha;
    stream << separator << field.text;
    separator = ", ";
  }
  stream << ")";
}

}  // namespace nn
}  // namespace ember
