// libFuzzer target: an inclusion proof or a head statement (JSON), as
// `theater chain verify-proof` and `chain verify --expect-head` read them. Built with clang, ASan and
// UBSan by fuzz/CMakeLists.txt; run by scripts/fuzz.sh inclusion_proof. The checks are in
// chain_fuzz_check.h, which tests/fuzz_corpus_test.cc runs over fuzz/corpus/inclusion_proof/.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "chain_fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string failure = theater::fuzz::CheckInclusionProofInput(data, size);
  if (!failure.empty()) {
    std::fprintf(stderr, "inclusion_proof_fuzz: %s\n", failure.c_str());
    std::abort();  // libFuzzer saves the input as a crash
  }
  return 0;
}
