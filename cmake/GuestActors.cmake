# Builds C and C++ actors into WebAssembly components with the guest toolchain:
#   wit-bindgen c (bindings for a world of wit/) -> clang-22 --target=wasm32-wasi (reactor)
#   -> wasm-tools component new.
# scripts/setup.sh installs all three.
find_program(THEATER_WIT_BINDGEN wit-bindgen HINTS $ENV{HOME}/.cargo/bin)
find_program(THEATER_WASM_TOOLS wasm-tools HINTS $ENV{HOME}/.cargo/bin)
find_program(THEATER_GUEST_CC clang-22)
find_program(THEATER_GUEST_CXX clang++-22)
foreach(tool THEATER_WIT_BINDGEN THEATER_WASM_TOOLS THEATER_GUEST_CC THEATER_GUEST_CXX)
  if(NOT ${tool})
    message(FATAL_ERROR "${tool} not found: run scripts/setup.sh to install the guest toolchain")
  endif()
endforeach()

file(GLOB THEATER_WIT_FILES ${PROJECT_SOURCE_DIR}/wit/*.wit)
set(THEATER_GUEST_FLAGS --target=wasm32-wasi -Wno-deprecated -O2)

# theater_guest_actor(NAME <name> WORLD <world> SOURCES <files...> OUTPUT <component.wasm>)
# Adds the target guest_<name>, built by default.
function(theater_guest_actor)
  cmake_parse_arguments(ARG "" "NAME;WORLD;OUTPUT" "SOURCES" ${ARGN})
  set(work ${CMAKE_BINARY_DIR}/guests/${ARG_NAME})
  string(REPLACE "-" "_" stem ${ARG_WORLD})
  set(bindings ${work}/bindings)
  add_custom_command(
    OUTPUT ${bindings}/${stem}.c ${bindings}/${stem}.h ${bindings}/${stem}_component_type.o
    COMMAND ${THEATER_WIT_BINDGEN} c ${PROJECT_SOURCE_DIR}/wit --world ${ARG_WORLD} --out-dir ${bindings}
    DEPENDS ${THEATER_WIT_FILES}
    COMMENT "wit-bindgen c: ${ARG_WORLD} for ${ARG_NAME}")

  set(objects)
  set(all_sources ${ARG_SOURCES} ${bindings}/${stem}.c ${PROJECT_SOURCE_DIR}/sdk/c/theater_wasi_stubs.c)
  # An actor written in C++ gets the C++ SDK's exports (sdk/cpp/theater_exports.cpp).
  foreach(src ${ARG_SOURCES})
    if(src MATCHES "\\.(cc|cpp|cxx)$")
      list(APPEND all_sources ${PROJECT_SOURCE_DIR}/sdk/cpp/theater_exports.cpp)
      break()
    endif()
  endforeach()
  # Weak default handlers for whatever the world exports (sdk/c/theater_defaults.c).
  list(APPEND all_sources ${PROJECT_SOURCE_DIR}/sdk/c/theater_defaults.c)
  # The SDK's export switches for what the world exports, as wit/worlds.wit says
  # (src/project/build_project.cc reads it the same way for `theater build`).
  set(world_flags -DTHEATER_WORLD=${stem})
  file(READ ${PROJECT_SOURCE_DIR}/wit/worlds.wit worlds)
  string(REGEX MATCH "world ${ARG_WORLD} {[^}]*}" world_text "${worlds}")
  if(NOT world_text)
    message(FATAL_ERROR "theater_guest_actor(${name}): no world `${ARG_WORLD}` in wit/worlds.wit")
  endif()
  if(world_text MATCHES "export message-server-client;")
    list(APPEND world_flags -DTHEATER_EXPORTS_MESSAGE_CLIENT)
  endif()
  if(world_text MATCHES "export supervisor-handlers;")
    list(APPEND world_flags -DTHEATER_EXPORTS_SUPERVISOR_HANDLERS)
  endif()
  set(linker ${THEATER_GUEST_CC})
  foreach(src ${all_sources})
    get_filename_component(base ${src} NAME)
    set(obj ${work}/${base}.o)
    if(src MATCHES "\\.(cc|cpp|cxx)$")
      set(compiler ${THEATER_GUEST_CXX} -fno-exceptions -std=c++20)
      set(linker ${THEATER_GUEST_CXX})
    else()
      set(compiler ${THEATER_GUEST_CC})
    endif()
    add_custom_command(
      OUTPUT ${obj}
      COMMAND ${compiler} ${THEATER_GUEST_FLAGS} ${world_flags} -I${bindings} -I${PROJECT_SOURCE_DIR}/sdk/c
              -I${PROJECT_SOURCE_DIR}/sdk/cpp -c ${src} -o ${obj}
      DEPENDS ${src} ${bindings}/${stem}.h ${PROJECT_SOURCE_DIR}/sdk/c/theater_actor.h
              ${PROJECT_SOURCE_DIR}/sdk/c/theater_http.h ${PROJECT_SOURCE_DIR}/sdk/cpp/theater.hpp
      COMMENT "guest compile ${base}")
    list(APPEND objects ${obj})
  endforeach()

  add_custom_command(
    OUTPUT ${work}/core.wasm
    COMMAND ${linker} ${THEATER_GUEST_FLAGS} -mexec-model=reactor -s -o ${work}/core.wasm ${objects} ${bindings}/${stem}_component_type.o
    DEPENDS ${objects} ${bindings}/${stem}_component_type.o
    COMMENT "guest link ${ARG_NAME}")
  add_custom_command(
    OUTPUT ${ARG_OUTPUT}
    COMMAND ${THEATER_WASM_TOOLS} component new ${work}/core.wasm -o ${ARG_OUTPUT}
    DEPENDS ${work}/core.wasm
    COMMENT "component ${ARG_OUTPUT}")
  add_custom_target(guest_${ARG_NAME} ALL DEPENDS ${ARG_OUTPUT})
endfunction()
