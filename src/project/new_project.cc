#include "project/new_project.h"

#include <fstream>

#include "common/embedded_files.h"

namespace theater::project {
namespace {

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

// What `theater new` and its messages say of each language.
struct LanguageInfo {
  const char* key;     // as build.toml writes it
  const char* name;    // for people
  const char* source;  // the actor's source file in the project
  const char* tools;   // what `theater build` needs
};

const LanguageInfo& Info(Language language) {
  static const LanguageInfo kInfo[] = {
      {"c", "C", "src/actor.c", "clang-22, wit-bindgen and wasm-tools"},
      {"cpp", "C++", "src/actor.cpp", "clang++-22, wit-bindgen and wasm-tools"},
      {"python", "Python", "actor.py", "componentize-py 0.25.1"},
      {"js", "JavaScript", "actor.js", "componentize-js 0.23.0 (npm) and Node.js"},
  };
  return kInfo[static_cast<int>(language)];
}

const char* SourceFile(Language language) { return Info(language).source; }

// Which embedded file goes where in the project, for a language.
struct Placement {
  std::string from;  // embedded path
  std::string to;    // project path
  bool fill = false; // a template: its @NAME@ and the like are filled in
};

std::vector<Placement> Placements(Language language) {
  std::vector<Placement> out = {{"sdk/templates/common/manifest.toml", "manifest.toml", true},
                                {"sdk/templates/common/build.toml", "build.toml", true},
                                {"sdk/templates/common/README.md", "README.md", true}};
  if (language == Language::kC) out.push_back({"sdk/templates/c/actor.c", SourceFile(language), true});
  if (language == Language::kCpp) out.push_back({"sdk/templates/cpp/actor.cpp", SourceFile(language), true});
  if (language == Language::kPython) {
    out.push_back({"sdk/templates/python/actor.py", SourceFile(language), true});
    out.push_back({"sdk/python/theater.py", "theater/sdk/theater.py"});
  }
  if (language == Language::kJs) out.push_back({"sdk/templates/js/actor.js", SourceFile(language), true});
  for (const EmbeddedFile& f : EmbeddedFiles()) {
    std::string path(f.path);
    if (path.rfind("wit/", 0) == 0) out.push_back({path, "theater/" + path});
    bool c_family = language == Language::kC || language == Language::kCpp;
    if (path.rfind("sdk/c/", 0) == 0 && c_family)
      out.push_back({path, "theater/sdk/" + path.substr(6)});
    if (language == Language::kCpp && path.rfind("sdk/cpp/", 0) == 0)
      out.push_back({path, "theater/sdk/" + path.substr(8)});
    if (language == Language::kJs && path.rfind("sdk/js/", 0) == 0)
      out.push_back({path, "theater/sdk/" + path.substr(7)});
  }
  return out;
}

const EmbeddedFile* FindEmbedded(std::string_view path) {
  for (const EmbeddedFile& f : EmbeddedFiles())
    if (f.path == path) return &f;
  return nullptr;
}

}  // namespace

std::optional<Language> ParseLanguage(std::string_view text) {
  if (text == "c") return Language::kC;
  if (text == "cpp" || text == "c++") return Language::kCpp;
  if (text == "python" || text == "py") return Language::kPython;
  if (text == "js" || text == "javascript") return Language::kJs;
  return std::nullopt;
}

const char* LanguageKey(Language language) { return Info(language).key; }

const char* LanguageName(Language language) { return Info(language).name; }

std::string CheckProjectName(std::string_view name) {
  if (name.empty() || name.size() > 64) return "a project name has 1 to 64 characters";
  if (!std::isalpha(static_cast<unsigned char>(name[0]))) return "a project name starts with a letter";
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
      return std::string("a project name has only letters, digits, '-' and '_' (not '") + c + "')";
  return "";
}

Result<std::vector<std::string>> NewProject(const NewProjectOptions& options) {
  if (std::string why = CheckProjectName(options.name); !why.empty())
    return Status::Error("`" + options.name + "`: " + why);
  std::error_code ec;
  if (std::filesystem::exists(options.dir, ec) && !std::filesystem::is_empty(options.dir, ec))
    return Status::Error(options.dir.string() + ": already exists and is not empty");
  std::string language_name = LanguageName(options.language);
  std::vector<std::string> written;
  for (const Placement& p : Placements(options.language)) {
    const EmbeddedFile* file = FindEmbedded(p.from);
    if (!file) return Status::Error("this theater was built without " + p.from);
    std::string text(file->contents);
    if (p.fill) {
      text = Replace(text, "@NAME@", options.name);
      text = Replace(text, "@LANGUAGE@", language_name);
      text = Replace(text, "@LANG@", LanguageKey(options.language));
      text = Replace(text, "@SOURCE@", SourceFile(options.language));
      text = Replace(text, "@TOOLS@", Info(options.language).tools);
      // Python's and JavaScript's runtimes read the clock and random bytes as they start:
      // they need WASI.
      bool wasi = options.language == Language::kPython || options.language == Language::kJs;
      text = Replace(text, "@EXTRA_HANDLERS@", wasi ? "\n[[handler]]\ntype = \"wasi\"\n" : "");
    }
    std::filesystem::path to = options.dir / p.to;
    std::filesystem::create_directories(to.parent_path(), ec);
    if (ec) return Status::Error(to.parent_path().string() + ": cannot create: " + ec.message());
    std::ofstream out(to, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) return Status::Error(to.string() + ": cannot write");
    written.push_back(p.to);
  }
  return written;
}

}  // namespace theater::project
