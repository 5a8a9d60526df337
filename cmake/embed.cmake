# Writes OUTPUT, a C++ source defining `const char* const SYMBOL` in namespace
# NAMESPACE with the text of INPUT, so a file ships inside the binary.
file(READ "${INPUT}" content)
string(FIND "${content}" ")henge_embed\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw string delimiter")
endif()
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} at build time; do not edit.\n"
  "#include \"${HEADER}\"\n"
  "namespace ${NAMESPACE} {\n"
  "const char* const ${SYMBOL} = R\"henge_embed(${content})henge_embed\";\n"
  "}\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
