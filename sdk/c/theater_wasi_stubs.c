// Lets C and C++ actors use libc's stdio (snprintf, printf) and libc++'s abort paths
// without importing WASI, which Theater does not provide. wasi-libc calls these imports
// for file descriptors; defining them here satisfies the link, so the component imports
// nothing but theater:simple. Writes to stdout/stderr go nowhere: use
// theater_simple_runtime_log to say something.
#include <stdint.h>

#define WASI_ERRNO_BADF 8
#define WASI_ERRNO_NOSYS 52

#define STUB(name, ...) int32_t __imported_wasi_snapshot_preview1_##name(__VA_ARGS__)

STUB(fd_write, int32_t fd, int32_t iovs, int32_t iovs_len, int32_t nwritten) { return WASI_ERRNO_BADF; }
STUB(fd_read, int32_t fd, int32_t iovs, int32_t iovs_len, int32_t nread) { return WASI_ERRNO_BADF; }
STUB(fd_seek, int32_t fd, int64_t offset, int32_t whence, int32_t newoffset) { return WASI_ERRNO_BADF; }
STUB(fd_close, int32_t fd) { return WASI_ERRNO_BADF; }
STUB(fd_fdstat_get, int32_t fd, int32_t stat) { return WASI_ERRNO_BADF; }
// No environment, no arguments: report zero of each.
STUB(environ_sizes_get, int32_t count, int32_t size) {
  *(int32_t*)(intptr_t)count = 0;
  *(int32_t*)(intptr_t)size = 0;
  return 0;
}
STUB(environ_get, int32_t environ, int32_t buf) { return 0; }
// Time and randomness are host inputs that Theater records: use theater:simple/timing and
// theater:simple/random instead.
STUB(clock_time_get, int32_t id, int64_t precision, int32_t time) { return WASI_ERRNO_NOSYS; }
STUB(random_get, int32_t buf, int32_t len) { return WASI_ERRNO_NOSYS; }

void __imported_wasi_snapshot_preview1_proc_exit(int32_t code) { __builtin_trap(); }
