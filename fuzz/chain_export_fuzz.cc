// libFuzzer target: an export (`theater chain export`), as `chain verify` and
// `replay` read it from another machine. Built with clang, ASan and
// UBSan by fuzz/CMakeLists.txt; run by scripts/fuzz.sh chain_export. The checks are in
// chain_fuzz_check.h, which tests/fuzz_corpus_test.cc runs over fuzz/corpus/chain_export/.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "chain_fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string failure = theater::fuzz::CheckChainExportInput(data, size);
  if (!failure.empty()) {
    std::fprintf(stderr, "chain_export_fuzz: %s\n", failure.c_str());
    std::abort();  // libFuzzer saves the input as a crash
  }
  return 0;
}
