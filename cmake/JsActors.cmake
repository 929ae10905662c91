# JavaScript actors: componentize-js (scripts/setup.sh installs it with npm ci under
# ~/.cache/theater/componentize-js). The JavaScript test actors are built here, for the
# tests and the benchmarks, in the layout `theater new` writes (actor.js beside
# theater/sdk/); without componentize-js, THEATER_JS_PROBE and THEATER_JS_BOSS are empty
# and what needs them is skipped.
find_program(THEATER_COMPONENTIZE_JS componentize-js
  HINTS $ENV{THEATER_CACHE}/componentize-js/node_modules/.bin $ENV{HOME}/.cache/theater/componentize-js/node_modules/.bin)
file(GLOB THEATER_JS_SDK_FILES ${PROJECT_SOURCE_DIR}/sdk/js/*.js)

# build/tests/guests/NAME.wasm from tests/guests/SOURCE for WORLD; target guest_NAME.
function(theater_js_actor name source world)
  set(work ${PROJECT_BINARY_DIR}/tests/guests/${name})
  set(out ${PROJECT_BINARY_DIR}/tests/guests/${name}.wasm)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${work}/theater/sdk
    COMMAND ${CMAKE_COMMAND} -E copy ${PROJECT_SOURCE_DIR}/tests/guests/${source} ${work}/actor.js
    COMMAND ${CMAKE_COMMAND} -E copy ${THEATER_JS_SDK_FILES} ${work}/theater/sdk/
    # http and fetch-event are left out: Theater provides no wasi:http.
    COMMAND ${THEATER_COMPONENTIZE_JS} ${work}/actor.js -w ${PROJECT_SOURCE_DIR}/wit -n ${world}
            -d http fetch-event -o ${out}
    DEPENDS ${PROJECT_SOURCE_DIR}/tests/guests/${source} ${THEATER_JS_SDK_FILES} ${THEATER_WIT_FILES}
    COMMENT "componentize-js: ${source}")
  add_custom_target(guest_${name} ALL DEPENDS ${out})
endfunction()

set(THEATER_JS_PROBE "")
set(THEATER_JS_BOSS "")
if(THEATER_COMPONENTIZE_JS)
  theater_js_actor(js-probe js_probe.js service-actor)
  theater_js_actor(js-boss js_boss.js supervisor-actor)
  set(THEATER_JS_PROBE ${PROJECT_BINARY_DIR}/tests/guests/js-probe.wasm)
  set(THEATER_JS_BOSS ${PROJECT_BINARY_DIR}/tests/guests/js-boss.wasm)
else()
  message(STATUS "componentize-js not found (scripts/setup.sh installs it): the JavaScript tests are skipped")
endif()
