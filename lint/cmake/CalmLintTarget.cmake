# calm_lint_target(TARGET [FAIL_ON_FINDINGS] [OPTIONS opt...])
#
# Lints the C sources of TARGET as part of the build, incrementally: one action per
# source parses it into a summary (`calm-lint --emit-summary`, with a depfile, so a
# changed header re-runs exactly the actions of the sources that read it) and one link
# action reports over all of them (`calm-lint --link`). A changed .c re-runs its own
# action and the link; nothing changed runs nothing.
#
# The report goes to the build log and to calm-lint/TARGET.txt in TARGET's build
# directory. Findings fail the build only with FAIL_ON_FINDINGS; OPTIONS are passed to
# the link (--format, --config, --enable, ...). The target `TARGET_calm_lint` is part
# of `all`.
#
# calm-lint is CALM_LINT_EXECUTABLE if set, else the calm::calm-lint or calm-lint
# target, else found on PATH. Summary actions need CMake 3.20 (DEPFILE with every
# generator); depfile paths are rewritten for Ninja under policy CMP0116.
#
# Known limits: flags set per source file (COMPILE_DEFINITIONS, COMPILE_OPTIONS of a
# source) and sources given by generator expressions are not seen.

function(calm_lint_target target)
  cmake_parse_arguments(PARSE_ARGV 1 CLT "FAIL_ON_FINDINGS" "" "OPTIONS")
  if(NOT TARGET ${target})
    message(FATAL_ERROR "calm_lint_target: ${target} is not a target")
  endif()
  if(CALM_LINT_EXECUTABLE)
    set(lint ${CALM_LINT_EXECUTABLE})
  elseif(TARGET calm::calm-lint)
    set(lint $<TARGET_FILE:calm::calm-lint>)
  elseif(TARGET calm-lint)
    set(lint $<TARGET_FILE:calm-lint>)
  else()
    find_program(CALM_LINT_EXECUTABLE calm-lint REQUIRED)
    set(lint ${CALM_LINT_EXECUTABLE})
  endif()

  get_target_property(src_dir ${target} SOURCE_DIR)
  get_target_property(bin_dir ${target} BINARY_DIR)
  get_target_property(sources ${target} SOURCES)
  set(out_dir ${bin_dir}/calm-lint/${target})

  # The target's compile flags as its own compile lines carry them, usage
  # requirements of what it links included (TARGET_PROPERTY is transitive for these).
  # Each stays one quoted argument until it is evaluated: a list inside a generator
  # expression must not be split first.
  set(tp "$<TARGET_PROPERTY:${target},INCLUDE_DIRECTORIES>")
  set(td "$<TARGET_PROPERTY:${target},COMPILE_DEFINITIONS>")
  set(to "$<TARGET_PROPERTY:${target},COMPILE_OPTIONS>")
  set(ts "$<TARGET_PROPERTY:${target},C_STANDARD>")
  separate_arguments(global_flags NATIVE_COMMAND "${CMAKE_C_FLAGS}")

  set(summaries "")
  foreach(src IN LISTS sources)
    if(src MATCHES "\\$<" OR NOT src MATCHES "\\.c$")
      continue()
    endif()
    get_filename_component(abs ${src} ABSOLUTE BASE_DIR ${src_dir})
    file(RELATIVE_PATH rel ${src_dir} ${abs})
    string(REPLACE "../" "__/" rel "${rel}")
    set(summary ${out_dir}/${rel}.calm)
    get_filename_component(summary_dir ${summary} DIRECTORY)
    add_custom_command(
      OUTPUT ${summary}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${summary_dir}
      COMMAND ${lint} --emit-summary ${summary} -MF ${summary}.d -- ${CMAKE_C_COMPILER} ${global_flags}
              "$<$<BOOL:${tp}>:-I$<JOIN:${tp},;-I>>" "$<$<BOOL:${td}>:-D$<JOIN:${td},;-D>>" "${to}"
              "$<$<BOOL:${ts}>:-std=c${ts}>" -c ${abs}
      DEPENDS ${abs}
      DEPFILE ${summary}.d
      WORKING_DIRECTORY ${bin_dir}
      COMMENT "calm-lint: summary of ${rel}"
      COMMAND_EXPAND_LISTS VERBATIM)
    list(APPEND summaries ${summary})
  endforeach()
  if(NOT summaries)
    message(FATAL_ERROR "calm_lint_target: ${target} has no C sources")
  endif()

  set(report ${out_dir}.txt)
  if(CLT_FAIL_ON_FINDINGS)
    # the report on the build log; the stamp only once there is nothing to report
    add_custom_command(
      OUTPUT ${report}
      COMMAND ${lint} --link ${CLT_OPTIONS} ${summaries}
      COMMAND ${lint} --link ${CLT_OPTIONS} -o ${report} ${summaries}
      DEPENDS ${summaries}
      WORKING_DIRECTORY ${bin_dir}
      COMMENT "calm-lint: linking ${target}"
      COMMAND_EXPAND_LISTS VERBATIM)
  else()
    add_custom_command(
      OUTPUT ${report}
      COMMAND ${lint} --link --exit-zero ${CLT_OPTIONS} -o ${report} ${summaries}
      COMMAND ${CMAKE_COMMAND} -E cat ${report}
      DEPENDS ${summaries}
      WORKING_DIRECTORY ${bin_dir}
      COMMENT "calm-lint: linking ${target}"
      COMMAND_EXPAND_LISTS VERBATIM)
  endif()
  add_custom_target(${target}_calm_lint ALL DEPENDS ${report})
endfunction()
