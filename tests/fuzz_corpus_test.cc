// The fuzz targets' corpora as regression tests: every input in fuzz/corpus/<target>/ (the
// seeds, and every crash the fuzzers found, minimized) goes through the very checks the
// targets run (fuzz/*_fuzz_check.h), here without clang or sanitizers, on every test run.
#include <gtest/gtest.h>

#include <algorithm>

#include "fuzz/chain_fuzz_check.h"
#include "fuzz/manifest_fuzz_check.h"
#include "test_util.h"

namespace theater {
namespace {

// Runs `check` over every file in fuzz/corpus/<target>/; how many there were.
template <typename Check>
size_t Replay(const std::string& target, Check check) {
  std::filesystem::path dir = std::filesystem::path(THEATER_FUZZ_CORPUS) / target;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    Bytes input = ReadFile(file).value();
    EXPECT_EQ(check(input.data(), input.size()), "") << file;
  }
  return files.size();
}

TEST(FuzzCorpus, Manifest) {
  testing::TempDir folder;
  fuzz::MakeManifestFuzzFolder(folder.path());
  size_t n = Replay("manifest", [&](const uint8_t* data, size_t size) {
    return fuzz::CheckManifestInput(data, size, folder.path());
  });
  EXPECT_GE(n, 10u);
}

// What the manifest fuzzer skips (HasTomlUnreachableCodePoint): toml++ 3.3.0 reaches
// undefined behaviour on such code points; the library as built and linked here reports
// them as a parse error, naming the place, and this test keeps it so.
TEST(FuzzCorpus, ManifestWithAnOddCodePointIsAnError) {
  testing::TempDir folder;
  for (std::string text : {"\xef\xbb\xa7*", "name = \"a\" \xc2\xa1\n", "[a]\xcc\xaa\n"}) {
    ASSERT_TRUE(fuzz::HasTomlUnreachableCodePoint(text)) << text;
    auto m = ParseManifest(text, folder.path(), "odd.toml");
    ASSERT_FALSE(m.ok()) << text;
    EXPECT_EQ(m.error().rfind("odd.toml:", 0), 0u) << m.error();
  }
}

TEST(FuzzCorpus, ChainFile) { EXPECT_GE(Replay("chain_file", fuzz::CheckChainFileInput), 10u); }

TEST(FuzzCorpus, ChainExport) { EXPECT_GE(Replay("chain_export", fuzz::CheckChainExportInput), 10u); }

TEST(FuzzCorpus, InclusionProof) { EXPECT_GE(Replay("inclusion_proof", fuzz::CheckInclusionProofInput), 10u); }

}  // namespace
}  // namespace theater
