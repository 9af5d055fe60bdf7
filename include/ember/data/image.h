#pragma once
// Reading JPEG and PNG images into uint8 tensors, as torchvision.io.read_image does: shape
// [C, H, W], channels in the file's order (gray, gray + alpha, RGB, RGBA) unless a mode asks for
// gray or RGB. JPEG is decoded by libjpeg(-turbo) with its default (accurate integer DCT, fancy
// upsampling: the pixels PIL gives), PNG by libpng (palettes expanded, 16-bit samples reduced
// to 8, transparency kept as alpha in kUnchanged).
//
// Both libraries are optional at build time (CMake reports what it skipped); image_format_available
// says what this build decodes, and reading a format it lacks is an Error that says so. A
// corrupt, truncated or unsupported file is an Error naming the file and what is wrong with it,
// never a crash: the libraries' own error exits are caught.
#include <cstddef>
#include <string>

#include "ember/export.h"
#include "ember/tensor.h"

namespace ember {
namespace data {

/// torchvision's ImageReadMode.
enum class ImageReadMode { kUnchanged, kGray, kGrayAlpha, kRGB, kRGBAlpha };

enum class ImageFormat { kJPEG, kPNG };

/// Whether this build of ember can decode the format.
EMBER_API bool image_format_available(ImageFormat format);

/// Decodes the bytes of a JPEG or PNG file (told apart by their signatures) into a uint8 CPU
/// tensor [C, H, W]. `name` stands for the file in error messages.
EMBER_API Tensor decode_image(const void* data, size_t size, ImageReadMode mode = ImageReadMode::kUnchanged,
                              const std::string& name = "<memory>");

/// Reads and decodes the image file at `path`.
EMBER_API Tensor read_image(const std::string& path, ImageReadMode mode = ImageReadMode::kUnchanged);

}  // namespace data
}  // namespace ember
