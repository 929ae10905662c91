# Python actors: componentize-py (scripts/setup.sh installs it in a venv under
# ~/.cache/theater). The Python test actor is built here, for the tests and the benchmarks;
# without componentize-py, THEATER_PY_PROBE is empty and what needs it is skipped.
find_program(THEATER_COMPONENTIZE_PY componentize-py
  HINTS $ENV{THEATER_CACHE}/componentize-py-0.25.1/bin $ENV{HOME}/.cache/theater/componentize-py-0.25.1/bin)
set(THEATER_PY_PROBE "")
if(THEATER_COMPONENTIZE_PY)
  set(THEATER_PY_PROBE ${PROJECT_BINARY_DIR}/tests/guests/py-probe.wasm)
  add_custom_command(
    OUTPUT ${THEATER_PY_PROBE}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/tests/guests
    COMMAND ${THEATER_COMPONENTIZE_PY} -d ${PROJECT_SOURCE_DIR}/wit -w message-actor componentize
            -p ${PROJECT_SOURCE_DIR}/tests/guests -p ${PROJECT_SOURCE_DIR}/sdk/python -o ${THEATER_PY_PROBE} py_probe
    DEPENDS ${PROJECT_SOURCE_DIR}/tests/guests/py_probe.py ${PROJECT_SOURCE_DIR}/sdk/python/theater.py ${THEATER_WIT_FILES}
    COMMENT "componentize-py: py_probe.py")
  add_custom_target(guest_py-probe ALL DEPENDS ${THEATER_PY_PROBE})
else()
  message(STATUS "componentize-py not found (scripts/setup.sh installs it): the Python tests are skipped")
endif()

