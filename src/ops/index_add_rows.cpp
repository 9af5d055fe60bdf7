// index_add_into_zeros (index_add_rows.h).
#include "index_add_rows.h"

#include "common.h"

namespace ember {

Tensor index_add_into_zeros(const std::vector<int64_t>& shape, int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor out = zeros(shape, TensorOptions(src.dtype()).device(src.device()));
  Tensor ix;
  {
    NoGradGuard no_grad;
    ix = index.reshape({-1}).contiguous();
    if (src.numel() > 0) backend(src).index_add(out, dim, ix, src.contiguous());
  }
  if (autograd::needs_grad({src}))
    autograd::record({"index_add", "IndexAddBackward0"}, out, {src},
                     [ix, dim](const Tensor& g) -> variable_list { return {g.index_select(dim, ix)}; });
  return out;
}

}  // namespace ember
