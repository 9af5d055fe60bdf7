// Printing in LibTorch's exact layout, so a program ported from LibTorch prints the same text:
// one shared number format per matrix (integers, fixed with 4 decimals, a common "scale *"
// factor, or scientific), 1-D tensors as a column, 2-D as rows wrapped at 80 characters,
// higher dims as "(i,j,.,.) = " slices, then a footer such as "[ CPUFloatType{2,3} ]".
#include <cmath>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "backend.h"

namespace ember {
namespace {

struct Format {
  double scale = 1;
  int64_t width = 0;
};

/// Chooses the format from the values' magnitudes and sets the stream's float style.
Format choose_format(std::ostream& os, const double* v, int64_t n) {
  Format f;
  if (n == 0) return f;
  bool int_mode = true;
  for (int64_t i = 0; i < n; ++i)
    if (std::isfinite(v[i]) && v[i] != std::ceil(v[i])) {
      int_mode = false;
      break;
    }
  int64_t first = 0;
  while (first < n && !std::isfinite(v[first])) ++first;
  double exp_min = 1, exp_max = 1;
  if (first < n) {
    exp_min = exp_max = std::fabs(v[first]);
    for (int64_t i = first; i < n; ++i) {
      double z = std::fabs(v[i]);
      if (!std::isfinite(z)) continue;
      if (z < exp_min) exp_min = z;
      if (v[i] > exp_max) exp_max = z;  // LibTorch compares the signed value here
    }
    exp_min = exp_min != 0 ? std::floor(std::log10(exp_min)) + 1 : 1;
    exp_max = exp_max != 0 ? std::floor(std::log10(exp_max)) + 1 : 1;
  }
  if (int_mode) {
    if (exp_max > 9) {
      f.width = 11;
      os << std::scientific << std::setprecision(4);
    } else {
      f.width = int64_t(exp_max) + 1;
      os << std::defaultfloat;
    }
  } else if (exp_max - exp_min > 4) {
    f.width = 11;
    if (std::fabs(exp_max) > 99 || std::fabs(exp_min) > 99) f.width += 1;
    os << std::scientific << std::setprecision(4);
  } else if (exp_max > 5 || exp_max < 0) {
    f.width = 7;
    f.scale = std::pow(10, exp_max - 1);
    os << std::fixed << std::setprecision(4);
  } else {
    f.width = exp_max == 0 ? 7 : int64_t(exp_max) + 6;
    os << std::fixed << std::setprecision(4);
  }
  return f;
}

void print_scale(std::ostream& os, double scale) {
  std::ostringstream s;
  s << std::defaultfloat << scale << " *";
  os << s.str() << "\n";
}

void indent(std::ostream& os, int64_t n) {
  for (int64_t i = 0; i < n; ++i) os << " ";
}

/// A (rows, cols) row-major matrix, columns wrapped to fit `linesize`.
void print_matrix(std::ostream& os, const double* v, int64_t rows, int64_t cols, int64_t linesize, int64_t ind) {
  Format f = choose_format(os, v, rows * cols);
  indent(os, ind);
  int64_t per_line = std::max<int64_t>(1, (linesize - ind) / (f.width + 1));
  for (int64_t first = 0; first < cols;) {
    int64_t last = std::min(first + per_line, cols) - 1;
    if (per_line < cols) {
      if (first != 0) os << "\n";
      os << "Columns " << first + 1 << " to " << last + 1;
      indent(os, ind);
    }
    if (f.scale != 1) {
      print_scale(os, f.scale);
      indent(os, ind);
    }
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = first; c <= last; ++c) {
        os << std::setw(int(f.width)) << v[r * cols + c] / f.scale;
        if (c == last) {
          os << "\n";
          if (r != rows - 1) {
            indent(os, ind);
            if (f.scale != 1) os << " ";
          }
        } else {
          os << " ";
        }
      }
    }
    first = last + 1;
  }
}

}  // namespace

const char* toString(ScalarType t) {
  switch (t) {
    case kFloat: return "Float";
    case kDouble: return "Double";
    case kLong: return "Long";
    case kBool: return "Bool";
    case kHalf: return "Half";
    case kBFloat16: return "BFloat16";
    case kByte: return "Byte";
    case kChar: return "Char";
    case kShort: return "Short";
    case kInt: return "Int";
  }
  return "Undefined";
}

std::string Tensor::toString() const {
  return std::string(is_cuda() ? "CUDA" : "CPU") + ember::toString(dtype()) + "Type";
}

void Tensor::print() const {
  if (defined()) {
    std::cerr << "[" << toString() << " " << sizes() << "]" << std::endl;
  } else {
    std::cerr << "[UndefinedTensor]" << std::endl;
  }
}

std::ostream& operator<<(std::ostream& out, const Tensor& t) {
  if (!t.defined()) return out << "[ Tensor (undefined) ]";
  std::ostringstream os;  // formatting flags stay local: the caller's stream is left as it was
  Tensor c = t.detach().to(Device(kCPU)).to(kDouble).contiguous();
  const double* v = c.data_ptr<double>();
  const std::string type = t.toString();
  if (t.dim() == 0) {
    os << std::defaultfloat << v[0] << "\n[ " << type << "{}";
  } else if (t.dim() == 1) {
    if (t.numel() > 0) {
      Format f = choose_format(os, v, t.numel());
      if (f.scale != 1) print_scale(os, f.scale);
      for (int64_t i = 0; i < t.size(0); ++i) os << std::setw(int(f.width)) << v[i] / f.scale << "\n";
    }
    os << "[ " << type << "{" << t.size(0) << "}";
  } else if (t.dim() == 2) {
    if (t.numel() > 0) print_matrix(os, v, t.size(0), t.size(1), 80, 0);
    os << "[ " << type << "{" << t.size(0) << "," << t.size(1) << "}";
  } else {
    if (t.numel() > 0) {
      // Slices in LibTorch's order: the first index runs fastest.
      int64_t rows = t.size(-2), cols = t.size(-1), outer = t.dim() - 2;
      std::vector<int64_t> idx(size_t(outer), 0);
      for (bool first = true;; first = false) {
        if (!first) {
          int64_t i = 0;
          for (; i < outer; ++i) {
            if (++idx[size_t(i)] < t.size(i)) break;
            idx[size_t(i)] = 0;
          }
          if (i == outer) break;
          os << "\n";
        }
        os << "(";
        int64_t offset = 0;
        for (int64_t i = 0; i < outer; ++i) {
          os << idx[size_t(i)] + 1 << ",";
          offset += idx[size_t(i)] * c.stride(i);
        }
        os << ".,.) = \n";
        print_matrix(os, v + offset, rows, cols, 80, 1);
      }
    }
    os << "[ " << type << "{" << t.size(0);
    for (int64_t i = 1; i < t.dim(); ++i) os << "," << t.size(i);
    os << "}";
  }
  os << " ]";
  return out << os.str();
}

}  // namespace ember
