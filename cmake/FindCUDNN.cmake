# FindCUDNN: NVIDIA cuDNN, for find_package(CUDNN).
#
# Looks for cudnn.h and libcudnn under CUDNN_ROOT / CUDNN_PATH (CMake or environment variables),
# then the CUDA Toolkit's own directories (tarball installs; find CUDAToolkit first), then the
# system's (/usr/local, and the multiarch dirs of Debian/Ubuntu packages).
#
# Result: the imported target CUDNN::cudnn (library and headers), CUDNN_FOUND, CUDNN_VERSION
# (major.minor.patch, from cudnn_version.h or, before cuDNN 8, cudnn.h), and the cache entries
# CUDNN_INCLUDE_DIR and CUDNN_LIBRARY.
set(_cudnn_hints ${CUDNN_ROOT} ${CUDNN_PATH} $ENV{CUDNN_ROOT} $ENV{CUDNN_PATH})
set(_cudnn_include_paths /usr/include/x86_64-linux-gnu)
set(_cudnn_library_paths /usr/lib/x86_64-linux-gnu)
if(CUDAToolkit_BIN_DIR)
  get_filename_component(_cudnn_cuda_root "${CUDAToolkit_BIN_DIR}" DIRECTORY)
  list(PREPEND _cudnn_include_paths ${CUDAToolkit_INCLUDE_DIRS} ${_cudnn_cuda_root}/include)
  list(PREPEND _cudnn_library_paths ${CUDAToolkit_LIBRARY_DIR} ${_cudnn_cuda_root}/lib64 ${_cudnn_cuda_root}/lib)
endif()

find_path(CUDNN_INCLUDE_DIR cudnn.h
  HINTS ${_cudnn_hints}
  PATHS ${_cudnn_include_paths}
  PATH_SUFFIXES include)
find_library(CUDNN_LIBRARY cudnn
  HINTS ${_cudnn_hints}
  PATHS ${_cudnn_library_paths}
  PATH_SUFFIXES lib64 lib)
mark_as_advanced(CUDNN_INCLUDE_DIR CUDNN_LIBRARY)

set(CUDNN_VERSION "")
foreach(_cudnn_header cudnn_version.h cudnn.h)
  if(CUDNN_VERSION STREQUAL "" AND CUDNN_INCLUDE_DIR AND EXISTS "${CUDNN_INCLUDE_DIR}/${_cudnn_header}")
    file(STRINGS "${CUDNN_INCLUDE_DIR}/${_cudnn_header}" _cudnn_defines
      REGEX "^#define CUDNN_(MAJOR|MINOR|PATCHLEVEL) +[0-9]+")
    if(_cudnn_defines)
      set(_cudnn_parts "")
      foreach(_cudnn_part MAJOR MINOR PATCHLEVEL)
        string(REGEX MATCH "CUDNN_${_cudnn_part} +([0-9]+)" _ "${_cudnn_defines}")
        list(APPEND _cudnn_parts "${CMAKE_MATCH_1}")
      endforeach()
      string(JOIN "." CUDNN_VERSION ${_cudnn_parts})
    endif()
  endif()
endforeach()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CUDNN
  REQUIRED_VARS CUDNN_LIBRARY CUDNN_INCLUDE_DIR
  VERSION_VAR CUDNN_VERSION
  REASON_FAILURE_MESSAGE "looked for cudnn.h and libcudnn under CUDNN_ROOT, CUDNN_PATH, the CUDA Toolkit and the system dirs (set CUDNN_ROOT to the cuDNN install)")

if(CUDNN_FOUND AND NOT TARGET CUDNN::cudnn)
  add_library(CUDNN::cudnn UNKNOWN IMPORTED)
  set_target_properties(CUDNN::cudnn PROPERTIES
    IMPORTED_LOCATION "${CUDNN_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CUDNN_INCLUDE_DIR}")
endif()
