#include "engine/stack_pool.h"

#include <cstring>
#include <sys/mman.h>
#include <unistd.h>

namespace theater::wt {

// One stack: [guard page | usable size], the stack grows down from base + guard + size.
struct StackPool::Stack {
  StackPool* pool;
  uint8_t* base;
  size_t size;   // usable bytes
  size_t guard;  // bytes of PROT_NONE below
};

StackPool::~StackPool() {
  for (Stack* s : free_) {
    ::munmap(s->base, s->guard + s->size);
    delete s;
  }
}

wasmtime_stack_creator_t StackPool::Creator() { return wasmtime_stack_creator_t{this, NewStack, nullptr}; }

wasmtime_error_t* StackPool::NewStack(void* env, size_t size, bool zeroed, wasmtime_stack_memory_t* out) {
  auto* pool = static_cast<StackPool*>(env);
  Stack* stack = nullptr;
  {
    std::lock_guard lock(pool->mu_);
    for (auto it = pool->free_.begin(); it != pool->free_.end(); ++it) {
      if ((*it)->size == size) {
        stack = *it;
        pool->free_.erase(it);
        break;
      }
    }
  }
  if (stack && zeroed) ::madvise(stack->base + stack->guard, stack->size, MADV_DONTNEED);  // reads back as zeros
  if (!stack) {
    size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    size_t rounded = (size + page - 1) / page * page;
    void* mem = ::mmap(nullptr, rounded + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) return wasmtime_error_new("cannot map a fiber stack");
    ::mprotect(mem, page, PROT_NONE);  // overflow past the bottom faults
    stack = new Stack{pool, static_cast<uint8_t*>(mem), rounded, page};
  }
  out->env = stack;
  out->get_stack_memory = Top;
  out->finalizer = Release;
  return nullptr;
}

uint8_t* StackPool::Top(void* env, size_t* len) {
  auto* stack = static_cast<Stack*>(env);
  *len = stack->size;
  return stack->base + stack->guard + stack->size;
}

void StackPool::Release(void* env) {
  auto* stack = static_cast<Stack*>(env);
  StackPool* pool = stack->pool;
  {
    std::lock_guard lock(pool->mu_);
    if (pool->free_.size() < pool->keep_) {
      pool->free_.push_back(stack);
      return;
    }
  }
  ::munmap(stack->base, stack->guard + stack->size);
  delete stack;
}

}  // namespace theater::wt
