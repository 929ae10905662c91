// libFuzzer target: a chain file and its checkpoint file, as `theater chain verify`,
// `show`, `prove` and `head` read them. Built with clang, ASan and
// UBSan by fuzz/CMakeLists.txt; run by scripts/fuzz.sh chain_file. The checks are in
// chain_fuzz_check.h, which tests/fuzz_corpus_test.cc runs over fuzz/corpus/chain_file/.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "chain_fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string failure = theater::fuzz::CheckChainFileInput(data, size);
  if (!failure.empty()) {
    std::fprintf(stderr, "chain_file_fuzz: %s\n", failure.c_str());
    std::abort();  // libFuzzer saves the input as a crash
  }
  return 0;
}
