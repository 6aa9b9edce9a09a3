# Finds libclang (the C API) and defines the imported target LibClang::LibClang.
# Looks in LIBCLANG_ROOT, then asks llvm-config (versioned names too: Debian installs
# llvm-config-14 and newer side by side), then the usual /usr/lib/llvm-N prefixes.
set(_calm_llvm_versions 19 18 17 16 15 14)
set(_calm_hints "")
if(LIBCLANG_ROOT)
  list(APPEND _calm_hints "${LIBCLANG_ROOT}")
endif()
set(_calm_configs llvm-config)
foreach(v ${_calm_llvm_versions})
  list(APPEND _calm_configs llvm-config-${v})
endforeach()
find_program(LLVM_CONFIG_EXECUTABLE NAMES ${_calm_configs})
if(LLVM_CONFIG_EXECUTABLE)
  execute_process(COMMAND ${LLVM_CONFIG_EXECUTABLE} --prefix OUTPUT_VARIABLE _calm_prefix
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(_calm_prefix)
    list(APPEND _calm_hints "${_calm_prefix}")
  endif()
endif()
foreach(v ${_calm_llvm_versions})
  list(APPEND _calm_hints /usr/lib/llvm-${v} /usr/local/opt/llvm@${v})
endforeach()

find_path(LibClang_INCLUDE_DIR clang-c/Index.h HINTS ${_calm_hints} PATH_SUFFIXES include NO_DEFAULT_PATH)
find_path(LibClang_INCLUDE_DIR clang-c/Index.h)
find_library(LibClang_LIBRARY NAMES clang libclang HINTS ${_calm_hints} PATH_SUFFIXES lib lib64 NO_DEFAULT_PATH)
find_library(LibClang_LIBRARY NAMES clang libclang)

if(LibClang_INCLUDE_DIR AND EXISTS "${LibClang_INCLUDE_DIR}/clang-c/Index.h")
  file(STRINGS "${LibClang_INCLUDE_DIR}/clang-c/Index.h" _calm_minor REGEX "#define CINDEX_VERSION_MINOR")
  string(REGEX REPLACE ".*MINOR ([0-9]+).*" "\\1" LibClang_CINDEX_MINOR "${_calm_minor}")
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(LibClang REQUIRED_VARS LibClang_LIBRARY LibClang_INCLUDE_DIR)
if(LibClang_FOUND AND NOT TARGET LibClang::LibClang)
  add_library(LibClang::LibClang UNKNOWN IMPORTED)
  set_target_properties(LibClang::LibClang PROPERTIES
    IMPORTED_LOCATION "${LibClang_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${LibClang_INCLUDE_DIR}")
endif()
