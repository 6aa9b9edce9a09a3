# Writes a C file holding the text of FILES, so calm-lint carries its models and
# rule docs without data files. Run as:
#   cmake -DOUT=x.c -DPREFIX=name -DFILES="a.json;b.json" -P embed.cmake
# It defines PREFIX_names (file names without extension), PREFIX_texts and PREFIX_count.
set(_body "/* Generated from ${PREFIX} sources; do not edit. */\n")
set(_names "")
set(_texts "")
set(_i 0)
foreach(f ${FILES})
  file(READ "${f}" _hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," _bytes "${_hex}")
  string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" _bytes "${_bytes}")
  get_filename_component(_name "${f}" NAME_WE)
  string(APPEND _body "static const char ${PREFIX}_${_i}[] = {\n${_bytes}0x00};\n")
  string(APPEND _names "  \"${_name}\",\n")
  string(APPEND _texts "  ${PREFIX}_${_i},\n")
  math(EXPR _i "${_i} + 1")
endforeach()
string(APPEND _body "const char *const ${PREFIX}_names[] = {\n${_names}  0};\n")
string(APPEND _body "const char *const ${PREFIX}_texts[] = {\n${_texts}  0};\n")
string(APPEND _body "const unsigned ${PREFIX}_count = ${_i};\n")
file(WRITE "${OUT}.tmp" "${_body}")
file(RENAME "${OUT}.tmp" "${OUT}")
