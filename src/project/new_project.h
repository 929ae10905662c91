// `theater new`: writes a ready actor project (source, manifest, build file, README, and a
// copy of the WIT contract and the SDK, so that it builds wherever Theater is installed).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace theater::project {

enum class Language { kC, kCpp, kPython, kJs };  // in the order of new_project.cc's table

// "c", "cpp" (or "c++"), "python" (or "py"), "js" (or "javascript"); nullopt otherwise.
std::optional<Language> ParseLanguage(std::string_view text);
const char* LanguageKey(Language language);   // as build.toml writes it: "c", "cpp", "python", "js"
const char* LanguageName(Language language);  // for people: "C", "C++", "Python", "JavaScript"

// A project name: 1 to 64 of [A-Za-z0-9_-], starting with a letter (it names the
// directory, the actor and its component file). Empty when fine, else why not.
std::string CheckProjectName(std::string_view name);

struct NewProjectOptions {
  std::filesystem::path dir;  // created; must not exist, or be empty
  std::string name;           // CheckProjectName
  Language language = Language::kC;
};

// Writes the project; the paths written, relative to `dir`.
Result<std::vector<std::string>> NewProject(const NewProjectOptions& options);

}  // namespace theater::project
