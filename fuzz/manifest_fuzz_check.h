// What the manifest fuzz target (fuzz/manifest_fuzz.cc) checks of one input: manifest
// text through ParseManifest (src/manifest/manifest.h), the parser behind every manifest
// file, inline manifest and spawned child. Header-only, so that the GCC test build
// (tests/fuzz_corpus_test.cc) runs the very same checks over fuzz/corpus/manifest/.
//
// ParseManifest reads the files a manifest names (its component, its init_state). The
// fuzzer is kept to a folder of its own (MakeManifestFuzzFolder): a manifest naming a file
// outside it (an absolute path, or one through "..") is skipped, so that no input has the
// fuzzer read the host's files (/dev/zero, which docs/security.md covers, is not the
// parser's to find).
#pragma once

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <span>
#include <set>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "common/files.h"
#include "manifest/manifest.h"

namespace theater::fuzz {

// The files a fuzzed manifest may name: a component (ParseManifest only reads it) and
// init_state documents, valid and not.
inline void MakeManifestFuzzFolder(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir / "sub");
  auto write = [&](const char* name, std::string_view text) {
    (void)WriteFileAtomic(dir / name, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  };
  write("actor.wasm", std::string_view("\0asm\x0d\0\x01\0", 8));
  write("state.json", "{\"count\": 1, \"names\": [\"a\", \"b\"]}");
  write("bad.json", "{\"count\": ");
  write("sub/state.json", "[]");
}

// A path ParseManifest would resolve outside the folder.
inline bool LeavesFolder(std::string_view path) {
  std::filesystem::path p(path);
  if (p.is_absolute() || path.find('\0') != std::string_view::npos) return true;
  for (const auto& part : p)
    if (part == "..") return true;
  return false;
}

// toml++ 3.3.0 (Debian's) reaches TOML_UNREACHABLE in is_non_ascii_horizontal_whitespace
// for most code points from U+00A1 to U+FEFE met where whitespace may be (upstream issues
// #190 and #295, fixed by pull request #305). It is undefined behaviour, which Debian's
// GCC build of the library happens to turn into "not whitespace" and a parse error
// (FuzzCorpus.ManifestWithAnOddCodePointIsAnError checks that build); under UBSan it
// stops the run. Inputs holding such a code point are skipped, so the fuzzer looks past it.
inline bool HasTomlUnreachableCodePoint(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    uint8_t lead = static_cast<uint8_t>(text[i]);
    char32_t c;
    size_t more;
    if ((lead & 0xe0) == 0xc0) c = lead & 0x1f, more = 1;
    else if ((lead & 0xf0) == 0xe0) c = lead & 0x0f, more = 2;
    else continue;
    if (more >= text.size() - i) continue;
    for (size_t k = 1; k <= more; ++k) c = c << 6 | (static_cast<uint8_t>(text[i + k]) & 0x3f);
    if (c <= 0xa0 || c >= 0xfeff || c == 0x3000) continue;
    uint64_t child = (c - 0xa0) / 0x3fa;  // as toml++ computes it
    if (((1ull << child) & 0x7FFFFFFFFFFFF75Eull) || child == 5 || child == 7) continue;
    return true;
  }
  return false;
}

inline std::string CheckManifestInput(const uint8_t* data, size_t size, const std::filesystem::path& folder) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (HasTomlUnreachableCodePoint(text)) return "";
  // toml++ first, to see which files the manifest names.
  try {
    toml::table root = toml::parse(text, std::string_view("fuzz.toml"));
    for (const char* field : {"component", "init_state"})
      if (auto value = root[field].value<std::string>(); value && LeavesFolder(*value)) return "";
  } catch (const toml::parse_error&) {
    // ParseManifest must refuse it too, with the place named.
    auto m = ParseManifest(text, folder, "fuzz.toml");
    if (m.ok()) return "ParseManifest accepted text toml++ refuses";
    if (m.error().rfind("fuzz.toml:", 0) != 0) return "an invalid-TOML error that does not name the place: " + m.error();
    return "";
  }
  auto m = ParseManifest(text, folder, "fuzz.toml");
  if (!m.ok()) {
    if (m.error().rfind("fuzz.toml", 0) != 0) return "an error that does not name the manifest: " + m.error();
    return "";
  }
  std::set<std::string> types;
  const auto& known = KnownHandlerTypes();
  for (const HandlerConfig& h : m->handlers) {
    if (std::find(known.begin(), known.end(), h.type) == known.end()) return "an unknown handler type passed: " + h.type;
    if (!types.insert(h.type).second) return "a handler granted twice passed: " + h.type;
    if (!h.settings.is_object()) return "a handler's settings are not an object";
  }
  if (m->component.empty()) return "a manifest without a component passed";
  return "";
}

}  // namespace theater::fuzz
