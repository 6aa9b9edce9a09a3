# integration.install (and integration.deb): install into a scratch prefix, build and
# run programs against it with pkg-config and find_package(calm), run what is installed
# (tests/integration/install_test.sh). Included from tests/integration/ and, when
# calm-lint is not built, from the top level.
set(calm_install_test ${PROJECT_SOURCE_DIR}/tests/integration/install_test.sh)
if(CALM_LINT)
  set(calm_install_lint ON)
else()
  set(calm_install_lint OFF)
endif()
# a sanitized libcalm needs its runtime in the programs that load it
set(calm_install_cflags "")
if(CALM_SANITIZE)
  set(calm_install_cflags "-fsanitize=address,undefined")
elseif(CALM_TSAN)
  set(calm_install_cflags "-fsanitize=thread")
endif()
add_test(NAME integration.install
         COMMAND bash ${calm_install_test} install ${PROJECT_BINARY_DIR} ${calm_install_lint}
                 ${CMAKE_COMMAND} ${CMAKE_C_COMPILER} "${calm_install_cflags}")
set_tests_properties(integration.install PROPERTIES LABELS integration TIMEOUT 600 SKIP_RETURN_CODE 77)
add_test(NAME integration.deb
         COMMAND bash ${calm_install_test} deb ${PROJECT_BINARY_DIR} ${calm_install_lint}
                 ${CMAKE_COMMAND} ${CMAKE_C_COMPILER} "${calm_install_cflags}")
set_tests_properties(integration.deb PROPERTIES LABELS integration TIMEOUT 600 SKIP_RETURN_CODE 77)
