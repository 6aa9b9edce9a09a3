# Run by cpack (CPACK_PRE_BUILD_SCRIPTS) on the staged tree: Debian ships man pages
# compressed (policy 12.1, gzip -9n), which `cmake --install` leaves as they are.
file(GLOB_RECURSE pages "${CPACK_TEMPORARY_DIRECTORY}/*/share/man/*.[1-9]")
foreach(page ${pages})
  execute_process(COMMAND gzip -9nf "${page}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "gzip ${page} failed")
  endif()
endforeach()
