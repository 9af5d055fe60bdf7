// Printing in LibTorch's layout: values (a column for 1-D, rows for 2-D, "(i,.,.) =" blocks for
// higher dims), then a footer like "[ CPUFloatType{2,3} ]".
#include <cmath>
#include <iomanip>
#include <sstream>

#include "backend.h"
#include "dtype_dispatch.h"

namespace ember {
namespace {

const char* type_name(ScalarType t) {
  switch (t) {
    case kFloat: return "Float";
    case kDouble: return "Double";
    case kLong: return "Long";
    case kBool: return "Bool";
    default: return "Unknown";
  }
}

struct Format {
  bool integral = true, scientific = false;
  int width = 1, precision = 4;
};

Format choose_format(const std::vector<double>& v, bool floating) {
  Format f;
  double max_abs = 0, min_abs = INFINITY;
  for (double x : v) {
    if (!std::isfinite(x)) continue;
    max_abs = std::max(max_abs, std::fabs(x));
    if (x != 0) min_abs = std::min(min_abs, std::fabs(x));
    if (floating && x != std::floor(x)) f.integral = false;
  }
  if (!floating) {
    f.integral = true;
  } else if (max_abs >= 1e8 || (min_abs < 1e-4 && !f.integral)) {
    f.scientific = true;
  }
  for (double x : v) {
    std::ostringstream s;
    if (f.scientific) s << std::scientific << std::setprecision(f.precision) << x;
    else if (!floating) s << int64_t(x);
    else if (f.integral) s << std::fixed << std::setprecision(0) << x;
    else s << std::fixed << std::setprecision(f.precision) << x;
    f.width = std::max<int>(f.width, int(s.str().size()));
  }
  return f;
}

void put(std::ostream& os, double x, const Format& f, bool floating) {
  os << std::setw(f.width + 1);
  if (f.scientific) os << std::scientific << std::setprecision(f.precision) << x;
  else if (f.integral && !floating) os << std::defaultfloat << int64_t(x);
  else if (f.integral) os << std::fixed << std::setprecision(0) << x;
  else os << std::fixed << std::setprecision(f.precision) << x;
  os << std::defaultfloat;
}

void print_matrix(std::ostream& os, const double* v, int64_t rows, int64_t cols, const Format& f, bool floating) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) put(os, v[r * cols + c], f, floating);
    os << "\n";
  }
}

}  // namespace

std::ostream& operator<<(std::ostream& out, const Tensor& t) {
  if (!t.defined()) return out << "[ Tensor (undefined) ]";
  std::ostringstream os;  // formatting flags stay local: the caller's stream is left as it was
  Tensor c = t.detach().to(Device(kCPU)).to(kDouble).contiguous();
  std::vector<double> v(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
  bool floating = t.is_floating_point();
  Format f = choose_format(v, floating);
  if (t.dim() == 0) {
    put(os, v[0], f, floating);
    os << "\n";
  } else if (t.dim() == 1) {
    print_matrix(os, v.data(), t.size(0), 1, f, floating);
  } else if (t.dim() == 2) {
    print_matrix(os, v.data(), t.size(0), t.size(1), f, floating);
  } else {
    int64_t rows = t.size(-2), cols = t.size(-1), plane = rows * cols;
    int64_t planes = plane ? int64_t(v.size()) / plane : 0;
    for (int64_t p = 0; p < planes; ++p) {
      os << "(";
      int64_t rem = p;
      std::vector<int64_t> idx(size_t(t.dim() - 2));
      for (int64_t d = t.dim() - 3; d >= 0; --d) {
        idx[size_t(d)] = rem % t.size(d);
        rem /= t.size(d);
      }
      for (int64_t i : idx) os << i + 1 << ",";
      os << ".,.) = \n";
      print_matrix(os, v.data() + p * plane, rows, cols, f, floating);
      if (p + 1 < planes) os << "\n";
    }
  }
  os << "[ " << (t.is_cuda() ? "CUDA" : "CPU") << type_name(t.dtype()) << "Type{";
  for (int64_t i = 0; i < t.dim(); ++i) os << (i ? "," : "") << t.size(i);
  os << "} ]";
  return out << os.str();
}

}  // namespace ember
