# Decides which process-group backends (src/distributed/) are built, per EMBER_MPI and EMBER_NCCL
# (AUTO: when found; ON: required; OFF: never looked for):
#   EMBER_WITH_MPI   MPI's C API (find_package(MPI COMPONENTS C)), linked privately: no MPI type
#                    reaches ember's public headers.
#   EMBER_WITH_NCCL  NCCL from the CUDA toolkit; needs the CUDA backend and MPI (the NCCL unique id
#                    travels over MPI).
# ember_link_distributed(target) drops the sources of the backends left out, links what the others
# need and defines EMBER_HAVE_MPI / EMBER_HAVE_NCCL on the sources that ask for them.
set(EMBER_WITH_MPI OFF)
if(NOT EMBER_MPI STREQUAL "OFF")
  enable_language(C)  # FindMPI's C component probes with the C compiler
  find_package(MPI COMPONENTS C QUIET)
  if(MPI_C_FOUND)
    set(EMBER_WITH_MPI ON)
    message(STATUS "ember: MPI backend (MPI ${MPI_C_VERSION}, ${MPI_C_LIB_NAMES})")
  elseif(EMBER_MPI STREQUAL "ON")
    message(FATAL_ERROR "EMBER_MPI=ON but MPI was not found (Debian: apt install libopenmpi-dev openmpi-bin; "
      "or set MPI_HOME / MPI_C_COMPILER to your MPI)")
  else()
    message(STATUS "ember: MPI backend skipped (MPI not found; Debian: apt install libopenmpi-dev openmpi-bin)")
  endif()
else()
  message(STATUS "ember: MPI backend skipped (EMBER_MPI=OFF)")
endif()

set(EMBER_WITH_NCCL OFF)
if(NOT EMBER_NCCL STREQUAL "OFF")
  set(_why "")
  if(NOT EMBER_WITH_CUDA)
    set(_why "the CUDA backend is not built")
  elseif(NOT EMBER_WITH_MPI)
    set(_why "it needs the MPI backend, which is not built")
  else()
    find_path(EMBER_NCCL_INCLUDE nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS} ${CUDAToolkit_TARGET_DIR}/include)
    find_library(EMBER_NCCL_LIBRARY nccl HINTS ${CUDAToolkit_LIBRARY_DIR} ${CUDAToolkit_TARGET_DIR}/lib
      ${CUDAToolkit_TARGET_DIR}/lib64)
    if(EMBER_NCCL_INCLUDE AND EMBER_NCCL_LIBRARY)
      set(EMBER_WITH_NCCL ON)
      message(STATUS "ember: NCCL backend (${EMBER_NCCL_LIBRARY})")
    else()
      set(_why "nccl.h or libnccl.so not found in the CUDA toolkit; install NCCL or set EMBER_NCCL_INCLUDE and EMBER_NCCL_LIBRARY")
    endif()
  endif()
  if(NOT EMBER_WITH_NCCL)
    if(EMBER_NCCL STREQUAL "ON")
      message(FATAL_ERROR "EMBER_NCCL=ON but the NCCL backend cannot be built: ${_why}")
    endif()
    message(STATUS "ember: NCCL backend skipped (${_why})")
  endif()
else()
  message(STATUS "ember: NCCL backend skipped (EMBER_NCCL=OFF)")
endif()

# Removes the sources of backends that are not built from the list named by `sources_var`.
function(ember_filter_distributed_sources sources_var)
  set(_s ${${sources_var}})
  if(NOT EMBER_WITH_MPI)
    list(FILTER _s EXCLUDE REGEX "src/distributed/(process_group_mpi|mpi_[a-z_]+)\\.cpp$")
  endif()
  if(NOT EMBER_WITH_NCCL)
    list(FILTER _s EXCLUDE REGEX "src/distributed/process_group_nccl\\.cpp$")
  endif()
  set(${sources_var} ${_s} PARENT_SCOPE)
endfunction()

function(ember_link_distributed target)
  set(_front ${CMAKE_CURRENT_SOURCE_DIR}/src/distributed/process_group.cpp)
  if(EMBER_WITH_MPI)
    target_link_libraries(${target} PRIVATE MPI::MPI_C)
    set_property(SOURCE ${_front} APPEND PROPERTY COMPILE_DEFINITIONS EMBER_HAVE_MPI=1)
  endif()
  if(EMBER_WITH_NCCL)
    target_include_directories(${target} PRIVATE ${EMBER_NCCL_INCLUDE})
    target_link_libraries(${target} PRIVATE ${EMBER_NCCL_LIBRARY})
    set_property(SOURCE ${_front} APPEND PROPERTY COMPILE_DEFINITIONS EMBER_HAVE_NCCL=1)
  endif()
endfunction()
