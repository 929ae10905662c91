# Python actors: componentize-py (scripts/setup.sh installs it in a venv under
# ~/.cache/theater). The Python test actors are built here, for the tests and the
# benchmarks; without componentize-py, THEATER_PY_PROBE and THEATER_PY_BOSS are empty and
# what needs them is skipped.
find_program(THEATER_COMPONENTIZE_PY componentize-py
  HINTS $ENV{THEATER_CACHE}/componentize-py-0.25.1/bin $ENV{HOME}/.cache/theater/componentize-py-0.25.1/bin)

# build/tests/guests/NAME.wasm from the module tests/guests/MODULE.py for WORLD; target guest_NAME.
function(theater_py_actor name module world)
  set(out ${PROJECT_BINARY_DIR}/tests/guests/${name}.wasm)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/tests/guests
    COMMAND ${THEATER_COMPONENTIZE_PY} -d ${PROJECT_SOURCE_DIR}/wit -w ${world} componentize
            -p ${PROJECT_SOURCE_DIR}/tests/guests -p ${PROJECT_SOURCE_DIR}/sdk/python -o ${out} ${module}
    DEPENDS ${PROJECT_SOURCE_DIR}/tests/guests/${module}.py ${PROJECT_SOURCE_DIR}/sdk/python/theater.py ${THEATER_WIT_FILES}
    COMMENT "componentize-py: ${module}.py")
  add_custom_target(guest_${name} ALL DEPENDS ${out})
endfunction()

set(THEATER_PY_PROBE "")
set(THEATER_PY_BOSS "")
if(THEATER_COMPONENTIZE_PY)
  theater_py_actor(py-probe py_probe service-actor)
  theater_py_actor(py-boss py_boss supervisor-actor)
  set(THEATER_PY_PROBE ${PROJECT_BINARY_DIR}/tests/guests/py-probe.wasm)
  set(THEATER_PY_BOSS ${PROJECT_BINARY_DIR}/tests/guests/py-boss.wasm)
else()
  message(STATUS "componentize-py not found (scripts/setup.sh installs it): the Python tests are skipped")
endif()
