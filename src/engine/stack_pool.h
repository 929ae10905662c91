// engine-internal: fiber stacks for async calls, reused instead of mapped and unmapped for
// every call (mmap/munmap and the TLB shootdowns they cause dominated short calls).
#pragma once

#include <cstddef>
#include <mutex>
#include <vector>

#include <wasmtime.h>

namespace theater::wt {

class StackPool {
 public:
  // Keeps up to `keep` stacks for reuse; more are unmapped when returned.
  explicit StackPool(size_t keep = 64) : keep_(keep) {}
  ~StackPool();
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  // The creator to hand to wasmtime_config_host_stack_creator_set.
  wasmtime_stack_creator_t Creator();

 private:
  struct Stack;
  static wasmtime_error_t* NewStack(void* env, size_t size, bool zeroed, wasmtime_stack_memory_t* out);
  static uint8_t* Top(void* env, size_t* len);
  static void Release(void* env);

  std::mutex mu_;
  std::vector<Stack*> free_;
  size_t keep_;
};

}  // namespace theater::wt
