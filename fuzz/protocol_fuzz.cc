// libFuzzer target for what a client controls first: the frames of the management
// protocol and the command parser (server/frame.h, server/protocol.h). Built with clang,
// ASan and UBSan by fuzz/CMakeLists.txt; run by scripts/fuzz.sh. The checks themselves
// are in protocol_fuzz_check.h, which tests/protocol_test.cc runs over fuzz/corpus/.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "protocol_fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string failure = theater::fuzz::CheckProtocolInput(data, size);
  if (!failure.empty()) {
    std::fprintf(stderr, "protocol_fuzz: %s\n", failure.c_str());
    std::abort();  // libFuzzer saves the input as a crash
  }
  return 0;
}
