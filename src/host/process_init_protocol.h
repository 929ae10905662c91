// What theater-init (process_init.cc) and the host (process_spawn.cc) say to each other:
// the descriptors the host hands theater-init, and the status records theater-init
// writes on the status pipe.
#pragma once

#include <cstdint>

namespace theater::host::init_protocol {

constexpr int kStatusFd = 3, kControlFd = 4;

// One status record. Kinds: 'M' the containment (`mode` 'P' PID namespace, 'U' user + PID
// namespace, 'G' subreaper only; `value` the errno that refused the namespace, or 0), 'E'
// the program could not be exec'd (errno), 'F' the init could not set up (errno).
struct Record {
  char kind;
  char mode;
  char pad[2];
  int32_t value;
};
static_assert(sizeof(Record) == 8);

}  // namespace theater::host::init_protocol
