// libFuzzer target: manifest text (TOML) through ParseManifest, as `theater run`,
// StartActor and a supervisor's spawn read it. Built with clang, ASan and UBSan by
// fuzz/CMakeLists.txt; run by scripts/fuzz.sh manifest. The checks are in
// manifest_fuzz_check.h, which tests/fuzz_corpus_test.cc runs over fuzz/corpus/manifest/.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <unistd.h>

#include "manifest_fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // One folder of files for the whole run, made on the first input.
  static const std::filesystem::path folder = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "theater-manifest-fuzz-XXXXXX").string();
    std::filesystem::path dir = ::mkdtemp(pattern.data());
    theater::fuzz::MakeManifestFuzzFolder(dir);
    return dir;
  }();
  std::string failure = theater::fuzz::CheckManifestInput(data, size, folder);
  if (!failure.empty()) {
    std::fprintf(stderr, "manifest_fuzz: %s\n", failure.c_str());
    std::abort();  // libFuzzer saves the input as a crash
  }
  return 0;
}
