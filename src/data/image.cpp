// JPEG and PNG decoding (include/ember/data/image.h). Each decoder fills an [H, W, C] uint8
// buffer row by row and returns it as [C, H, W]. libjpeg and libpng report errors by calling an
// error function that must not return; both are given one that longjmps back to the decoder,
// whose frame holds no C++ object with a destructor between setjmp and the libraries' calls
// (the buffer is a tensor created before setjmp and only written through a raw pointer), and
// the decoder then throws an Error naming the file.
#include "ember/data/image.h"

#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#ifndef EMBER_HAVE_JPEG
#define EMBER_HAVE_JPEG 0
#endif
#ifndef EMBER_HAVE_PNG
#define EMBER_HAVE_PNG 0
#endif
#if EMBER_HAVE_JPEG
#include <jpeglib.h>
// after jpeglib.h, which it needs
#include <jerror.h>
#endif
#if EMBER_HAVE_PNG
#include <png.h>
#endif

#include "ember/error.h"

namespace ember {
namespace data {
namespace {

/// No image ember decodes may need more than this many bytes of pixels (a 16k x 16k RGBA image):
/// a header claiming more is refused before any allocation.
constexpr int64_t kMaxPixelBytes = int64_t(1) << 30;

const char* mode_name(ImageReadMode m) {
  switch (m) {
    case ImageReadMode::kUnchanged: return "kUnchanged";
    case ImageReadMode::kGray: return "kGray";
    case ImageReadMode::kGrayAlpha: return "kGrayAlpha";
    case ImageReadMode::kRGB: return "kRGB";
    case ImageReadMode::kRGBAlpha: return "kRGBAlpha";
  }
  return "?";
}

/// [H, W, C] rows for a decoder to fill, checked against kMaxPixelBytes.
Tensor pixel_buffer(int64_t h, int64_t w, int64_t c, const std::string& name) {
  EMBER_CHECK(h > 0 && w > 0 && h * w * c <= kMaxPixelBytes, "read_image: '", name, "' claims ", w, "x", h, "x", c,
              " pixels, more than ember decodes (", kMaxPixelBytes, " bytes)");
  return empty({h, w, c}, TensorOptions(kByte));
}

Tensor chw(const Tensor& hwc) { return hwc.permute({2, 0, 1}).contiguous(); }

bool is_jpeg(const unsigned char* p, size_t n) { return n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF; }
bool is_png(const unsigned char* p, size_t n) {
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  return n >= 8 && std::memcmp(p, sig, 8) == 0;
}

// --- JPEG ------------------------------------------------------------------------------------------
#if EMBER_HAVE_JPEG
struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpeg_fail(j_common_ptr cinfo) {
  auto* e = reinterpret_cast<JpegError*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, e->message);
  std::longjmp(e->jump, 1);
}
/// Warnings are not errors (extraneous bytes between markers are common in camera files), except
/// the two that mean the pixels are not the file's: the data ends early (libjpeg would pad the
/// image with gray) or a segment is cut short.
void jpeg_warn(j_common_ptr cinfo, int level) {
  if (level < 0 && (cinfo->err->msg_code == JWRN_JPEG_EOF || cinfo->err->msg_code == JWRN_HIT_MARKER)) jpeg_fail(cinfo);
}

/// Decodes into `out` ([H, W, C] allocated by the caller once the header is read); returns an
/// empty string or libjpeg's message. Plain C state only: longjmp may cross this frame.
std::string decode_jpeg_into(const unsigned char* data, size_t size, ImageReadMode mode, const std::string& name,
                             Tensor& out) {
  jpeg_decompress_struct cinfo;
  JpegError err;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_fail;
  err.mgr.emit_message = jpeg_warn;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return err.message;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  const bool gray_file = cinfo.jpeg_color_space == JCS_GRAYSCALE;
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    jpeg_destroy_decompress(&cinfo);
    return "CMYK JPEG images are not supported";
  }
  const bool gray = mode == ImageReadMode::kGray || (mode == ImageReadMode::kUnchanged && gray_file);
  cinfo.out_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  const int64_t h = cinfo.output_height, w = cinfo.output_width, c = cinfo.output_components;
  try {  // between libjpeg calls: pixel_buffer's size check or out of memory may throw, once libjpeg is freed
    out = pixel_buffer(h, w, c, name);
  } catch (...) {
    jpeg_destroy_decompress(&cinfo);
    throw;
  }
  unsigned char* base = out.data_ptr<uint8_t>();
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = base + int64_t(cinfo.output_scanline) * w * c;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return {};
}
#endif

Tensor decode_jpeg(const unsigned char* data, size_t size, ImageReadMode mode, const std::string& name) {
#if EMBER_HAVE_JPEG
  EMBER_CHECK(mode == ImageReadMode::kUnchanged || mode == ImageReadMode::kGray || mode == ImageReadMode::kRGB,
              "read_image: '", name, "' is a JPEG image, which has no alpha channel: mode ", mode_name(mode),
              " is for PNG (use kUnchanged, kGray or kRGB)");
  Tensor out;
  const std::string problem = decode_jpeg_into(data, size, mode, name, out);
  EMBER_CHECK(problem.empty(), "read_image: cannot decode the JPEG image '", name, "': ", problem);
  return chw(out);
#else
  (void)data, (void)size, (void)mode;
  throw Error(detail::str("read_image: '", name,
                          "' is a JPEG image, but this build of ember has no JPEG decoder (libjpeg was not found "
                          "when it was built; install libjpeg-turbo's development files and rebuild)"));
#endif
}

// --- PNG -------------------------------------------------------------------------------------------
#if EMBER_HAVE_PNG
struct PngReader {
  const unsigned char* data;
  size_t size, pos;
  char message[256];
  std::jmp_buf jump;
};

void png_fail(png_structp png, png_const_charp msg) {
  auto* r = static_cast<PngReader*>(png_get_error_ptr(png));
  std::snprintf(r->message, sizeof(r->message), "%s", msg);
  std::longjmp(r->jump, 1);
}
void png_quiet(png_structp, png_const_charp) {}

void png_read_bytes(png_structp png, png_bytep out, png_size_t n) {
  auto* r = static_cast<PngReader*>(png_get_io_ptr(png));
  if (n > r->size - r->pos) png_error(png, "the file ends inside the image (truncated)");
  std::memcpy(out, r->data + r->pos, n);
  r->pos += n;
}

/// As decode_jpeg_into, for PNG.
std::string decode_png_into(const unsigned char* data, size_t size, ImageReadMode mode, const std::string& name,
                            Tensor& out) {
  PngReader r{data, size, 0, {0}, {}};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r, png_fail, png_quiet);
  if (!png) return "out of memory";
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return "out of memory";
  }
  if (setjmp(r.jump)) {
    png_destroy_read_struct(&png, &info, nullptr);
    return r.message;
  }
  png_set_read_fn(png, &r, png_read_bytes);
  png_read_info(png, info);
  // The file's channels once palettes and transparency are expanded: 1 gray, 2 gray + alpha,
  // 3 RGB, 4 RGBA. libpng's transforms then give the mode's, in one png_read_update_info.
  const int color = png_get_color_type(png, info);
  const bool file_gray = (color & PNG_COLOR_MASK_COLOR) == 0;
  const bool file_alpha = (color & PNG_COLOR_MASK_ALPHA) != 0 || png_get_valid(png, info, PNG_INFO_tRNS) != 0;
  if (png_get_bit_depth(png, info) == 16) png_set_strip_16(png);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
  bool gray = file_gray, alpha = file_alpha;
  if (mode != ImageReadMode::kUnchanged) {
    gray = mode == ImageReadMode::kGray || mode == ImageReadMode::kGrayAlpha;
    alpha = mode == ImageReadMode::kGrayAlpha || mode == ImageReadMode::kRGBAlpha;
    if (gray && !file_gray) png_set_rgb_to_gray_fixed(png, 1, -1, -1);
    if (!gray && file_gray) png_set_gray_to_rgb(png);
    if (file_alpha && !alpha) png_set_strip_alpha(png);
    if (!file_alpha && alpha) png_set_add_alpha(png, 0xFF, PNG_FILLER_AFTER);
  }
  const int channels = (gray ? 1 : 3) + (alpha ? 1 : 0);
  png_read_update_info(png, info);
  const int64_t h = png_get_image_height(png, info), w = png_get_image_width(png, info);
  if (int64_t(png_get_rowbytes(png, info)) != w * channels) {
    png_destroy_read_struct(&png, &info, nullptr);
    return "unexpected row layout after conversion";
  }
  try {  // as for JPEG: libpng is freed before pixel_buffer's error leaves
    out = pixel_buffer(h, w, channels, name);
  } catch (...) {
    png_destroy_read_struct(&png, &info, nullptr);
    throw;
  }
  unsigned char* base = out.data_ptr<uint8_t>();
  const int passes = png_set_interlace_handling(png);
  for (int pass = 0; pass < passes; ++pass)
    for (int64_t y = 0; y < h; ++y) png_read_row(png, base + y * w * channels, nullptr);
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return {};
}
#endif

Tensor decode_png(const unsigned char* data, size_t size, ImageReadMode mode, const std::string& name) {
#if EMBER_HAVE_PNG
  Tensor out;
  const std::string problem = decode_png_into(data, size, mode, name, out);
  EMBER_CHECK(problem.empty(), "read_image: cannot decode the PNG image '", name, "': ", problem);
  return chw(out);
#else
  (void)data, (void)size, (void)mode;
  throw Error(detail::str("read_image: '", name,
                          "' is a PNG image, but this build of ember has no PNG decoder (libpng was not found "
                          "when it was built; install libpng's development files and rebuild)"));
#endif
}

}  // namespace

bool image_format_available(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJPEG: return EMBER_HAVE_JPEG != 0;
    case ImageFormat::kPNG: return EMBER_HAVE_PNG != 0;
  }
  return false;
}

Tensor decode_image(const void* data, size_t size, ImageReadMode mode, const std::string& name) {
  const auto* p = static_cast<const unsigned char*>(data);
  EMBER_CHECK(p != nullptr || size == 0, "read_image: no data for '", name, "'");
  if (is_jpeg(p, size)) return decode_jpeg(p, size, mode, name);
  if (is_png(p, size)) return decode_png(p, size, mode, name);
  throw Error(
      detail::str("read_image: '", name, "' is neither a JPEG nor a PNG image (", size, " bytes, no known signature)"));
}

Tensor read_image(const std::string& path, ImageReadMode mode) {
  std::ifstream f(path, std::ios::binary);
  EMBER_CHECK(f.good(), "read_image: cannot open '", path, "': ", std::strerror(errno));
  std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EMBER_CHECK(!f.bad(), "read_image: error reading '", path, "'");
  return decode_image(bytes.data(), bytes.size(), mode, path);
}

}  // namespace data
}  // namespace ember
