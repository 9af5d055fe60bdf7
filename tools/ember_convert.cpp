// ember-convert: PyTorch .pt files to safetensors and back.
//
//   ember-convert IN OUT
//
// IN is read as a .pt file (torch.save's zip format or a TorchScript archive) when it is a zip
// archive, as safetensors otherwise; OUT's extension picks what is written: .safetensors, or
// .pt / .pth (an OrderedDict of tensors, as torch.save(state_dict) writes, which Python's
// torch.load reads). The tensors keep their names: a state_dict's keys, a TorchScript
// module's parameters and buffers by dotted name, "0", "1", ... for a tensor or a list.
#include <cstdio>
#include <string>

#include "ember/pt_file.h"
#include "ember/serialize.h"

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr,
                 "usage: ember-convert IN OUT\n"
                 "  converts a PyTorch .pt file to OUT.safetensors, or a safetensors file to OUT.pt (.pth)\n");
    return 2;
  }
  const std::string in = argv[1], out = argv[2];
  const bool to_pt = ends_with(out, ".pt") || ends_with(out, ".pth");
  if (!to_pt && !ends_with(out, ".safetensors")) {
    std::fprintf(stderr, "ember-convert: '%s' should end in .safetensors, .pt or .pth (the format to write)\n",
                 out.c_str());
    return 2;
  }
  try {
    ember::TensorMap tensors;
    if (ember::is_pt_file(in)) tensors = ember::pt_tensors(ember::load_pt(in), "'" + in + "'");
    else tensors = ember::load_tensors(in).tensors;
    if (to_pt) ember::save_pt(tensors, out);
    else ember::save_tensors(tensors, out, {{"format", "pt"}});
    std::printf("ember-convert: %zu tensors from '%s' to '%s'\n", tensors.size(), in.c_str(), out.c_str());
  } catch (const ember::Error& e) {
    std::fprintf(stderr, "ember-convert: %s\n", e.what());
    return 1;
  }
  return 0;
}
