# Imports wasmtime's C API as the target `wasmtime::wasmtime`.
# scripts/build-wasmtime.sh builds it (once) into ~/.cache/theater, keyed by the wrapper
# crate's contents, and prints the folder; configuring again reuses the cached build.
execute_process(
  COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/build-wasmtime.sh
  OUTPUT_VARIABLE WASMTIME_PREFIX
  OUTPUT_STRIP_TRAILING_WHITESPACE
  RESULT_VARIABLE wasmtime_build_result)
if(NOT wasmtime_build_result EQUAL 0)
  message(FATAL_ERROR "building wasmtime's C API failed (scripts/build-wasmtime.sh)")
endif()
string(REGEX REPLACE ".*\n" "" WASMTIME_PREFIX "${WASMTIME_PREFIX}")
message(STATUS "wasmtime C API: ${WASMTIME_PREFIX}")

add_library(wasmtime::wasmtime STATIC IMPORTED GLOBAL)
set_target_properties(wasmtime::wasmtime PROPERTIES
  IMPORTED_LOCATION ${WASMTIME_PREFIX}/lib/libwasmtime.a
  INTERFACE_INCLUDE_DIRECTORIES ${WASMTIME_PREFIX}/include
  INTERFACE_LINK_LIBRARIES "pthread;dl;m")
# Re-run the build script when the wrapper crate changes.
file(GLOB THEATER_SHIM_SOURCES ${PROJECT_SOURCE_DIR}/third_party/wasmtime-shim/src/*.rs)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/third_party/wasmtime-shim/Cargo.toml
  ${PROJECT_SOURCE_DIR}/third_party/wasmtime-shim/Cargo.lock
  ${THEATER_SHIM_SOURCES})
