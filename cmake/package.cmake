# What `cmake --install` writes besides the targets' own install rules: libcalm.pc,
# the CMake package (find_package(calm)) and, through CPack, a .deb of the whole.
include(CMakePackageConfigHelpers)

set(CALM_HOMEPAGE_URL "" CACHE STRING "project home page, if any (pkg-config URL, .deb Homepage)")
set(calm_cmakedir ${CMAKE_INSTALL_LIBDIR}/cmake/calm)

# pkg-config: relative to the .pc file's own place (${pcfiledir}), so that a tree
# installed with `cmake --install --prefix DIR` or unpacked elsewhere still works
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(calm_pc_prefix "${CMAKE_INSTALL_PREFIX}")
else()
  set(calm_pc_prefix "\${pcfiledir}/..")
  string(REGEX REPLACE "[^/]+" ".." calm_pc_up "${CMAKE_INSTALL_LIBDIR}")
  string(APPEND calm_pc_prefix "/${calm_pc_up}")
endif()
foreach(d libdir includedir)
  string(TOUPPER ${d} D)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${D}}")
    set(calm_pc_${d} "${CMAKE_INSTALL_${D}}")
  else()
    set(calm_pc_${d} "\${prefix}/${CMAKE_INSTALL_${D}}")
  endif()
endforeach()
set(calm_pc_dl "")
foreach(l ${CMAKE_DL_LIBS})
  string(APPEND calm_pc_dl " -l${l}")
endforeach()
string(STRIP "${calm_pc_dl}" calm_pc_dl)
set(calm_pc_url "")
if(CALM_HOMEPAGE_URL)
  set(calm_pc_url "URL: ${CALM_HOMEPAGE_URL}\n")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/libcalm.pc.in ${PROJECT_BINARY_DIR}/libcalm.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/libcalm.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(EXPORT calmTargets NAMESPACE calm:: DESTINATION ${calm_cmakedir})
if(CALM_LINT)
  install(EXPORT calmLintTargets NAMESPACE calm:: DESTINATION ${calm_cmakedir})
  # calm_lint_target(), where the tree has it (looked for at install time): the package
  # config includes it
  install(FILES ${PROJECT_SOURCE_DIR}/lint/cmake/CalmLintTarget.cmake DESTINATION ${calm_cmakedir} OPTIONAL)
endif()
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/calmConfig.cmake.in
  ${PROJECT_BINARY_DIR}/calmConfig.cmake INSTALL_DESTINATION ${calm_cmakedir})
# what the soname promises (runtime/CMakeLists.txt): before 1.0 each minor version is its own ABI
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(calm_compatibility SameMinorVersion)
else()
  set(calm_compatibility SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/calmConfigVersion.cmake
  COMPATIBILITY ${calm_compatibility})
install(FILES ${PROJECT_BINARY_DIR}/calmConfig.cmake ${PROJECT_BINARY_DIR}/calmConfigVersion.cmake
        DESTINATION ${calm_cmakedir})

# cpack -G DEB: one package with everything `cmake --install` puts in place
set(CPACK_PACKAGE_NAME calm)
set(CPACK_PACKAGE_VENDOR calm)
set(CPACK_PACKAGE_CONTACT "calm maintainers <calm@localhost>" CACHE STRING ".deb Maintainer field")
if(CALM_LINT)
  set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "linter for asynchronous C code (calm-lint) and its async runtime (libcalm)")
else()
  set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "small async runtime for C (libcalm): event loop, tasks, deadlines, offload")
endif()
if(CALM_HOMEPAGE_URL)
  set(CPACK_PACKAGE_HOMEPAGE_URL ${CALM_HOMEPAGE_URL})
endif()
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
# Depends (libclang, libcjson, libc) from what the binaries load; dpkg-dev has the tool
find_program(CALM_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(CALM_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
endif()
set(CPACK_STRIP_FILES ON) # as Debian ships binaries: the debug info stays in the build tree
set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_CURRENT_LIST_DIR}/deb_man.cmake)
include(CPack)
