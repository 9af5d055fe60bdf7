# The CUDA backend's build: the CUDA language, the kernels (kernels/*.cu), the CUDA Toolkit
# libraries (cudart, cuBLAS) and, per EMBER_CUDNN, cuDNN. Included by cmake/cuda.cmake when
# EMBER_WITH_CUDA; the top-level CMakeLists.txt adds EMBER_CUDA_SOURCES to the ember target and
# calls ember_link_cuda(ember).

# Ampere (A100) and Hopper (H100/H200) as real code, plus Hopper PTX so that newer GPUs can JIT
# it. Set before enable_language, which would otherwise pick the compiler's default.
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES OR CMAKE_CUDA_ARCHITECTURES STREQUAL "")
  set(CMAKE_CUDA_ARCHITECTURES "80-real;90-real;90-virtual" CACHE STRING "CUDA architectures to build for")
endif()
enable_language(CUDA)
set(CMAKE_CUDA_STANDARD 17)
set(CMAKE_CUDA_STANDARD_REQUIRED ON)
set(CMAKE_CUDA_EXTENSIONS OFF)

find_package(CUDAToolkit REQUIRED)

file(GLOB EMBER_CUDA_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/kernels/*.cu)

# --- cuDNN: AUTO uses it when found, ON requires it, OFF never looks (cmake/FindCUDNN.cmake) ----
set(EMBER_WITH_CUDNN OFF)
if(NOT EMBER_CUDNN STREQUAL "OFF")
  find_package(CUDNN QUIET)
  if(CUDNN_FOUND)
    set(EMBER_WITH_CUDNN ON)
    message(STATUS "ember: cuDNN ${CUDNN_VERSION} (${CUDNN_LIBRARY}, headers in ${CUDNN_INCLUDE_DIR})")
  elseif(EMBER_CUDNN STREQUAL "ON")
    message(FATAL_ERROR "EMBER_CUDNN=ON but cuDNN was not found (looked for cudnn.h and libcudnn under "
      "CUDNN_ROOT, CUDNN_PATH, ${CUDAToolkit_INCLUDE_DIRS}, ${CUDAToolkit_LIBRARY_DIR} and the system "
      "dirs; set CUDNN_ROOT to the cuDNN install)")
  else()
    message(STATUS "ember: cuDNN not found; CUDA convolutions use im2col + cuBLAS")
  endif()
endif()
message(STATUS "ember: CUDA backend for architectures ${CMAKE_CUDA_ARCHITECTURES} (CUDA ${CUDAToolkit_VERSION})")

# Links the CUDA backend's libraries into `target` and sets what its sources need to compile.
# Everything is PRIVATE: no CUDA type or definition leaks through ember's public headers.
function(ember_link_cuda target)
  if(EMBER_WITH_CUDNN)
    set(_cudnn 1)
  else()
    set(_cudnn 0)
  endif()
  string(REPLACE ";" " " _archs "${CMAKE_CUDA_ARCHITECTURES}")
  target_link_libraries(${target} PRIVATE CUDA::cudart CUDA::cublas)
  target_compile_definitions(${target} PRIVATE EMBER_WITH_CUDA=1 EMBER_WITH_CUDNN=${_cudnn}
    EMBER_CUDA_ARCHS="${_archs}")
  if(EMBER_WITH_CUDNN)
    target_link_libraries(${target} PRIVATE CUDNN::cudnn)
  endif()
  # The shared runtime, as CUDA::cudart is; hidden symbols in the kernels too, like the C++ code.
  set_target_properties(${target} PROPERTIES CUDA_RUNTIME_LIBRARY Shared CUDA_VISIBILITY_PRESET hidden)
  # --expt-relaxed-constexpr lets device code call constexpr host functions (std::numeric_limits).
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr -lineinfo -Xcompiler=-Wall>)
endfunction()
