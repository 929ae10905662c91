// theater new NAME [--lang c|cpp] [--dir DIR] | theater build [DIR]
// A thin layer over src/project/: writing an actor project and building its component.
#include <cstdio>

#include "cli/commands.h"
#include "project/build_project.h"
#include "project/new_project.h"

namespace theater::cli {
namespace {

struct NewArgs {
  std::string name, lang = "c", dir;
};

int New(const NewArgs& a) {
  auto language = project::ParseLanguage(a.lang);
  if (!language) {
    std::fprintf(stderr, "theater new: --lang `%s`: one of c, cpp, python, js\n", a.lang.c_str());
    return kExitUsage;
  }
  project::NewProjectOptions options;
  options.name = a.name;
  options.language = *language;
  options.dir = a.dir.empty() ? std::filesystem::path(a.name) : std::filesystem::path(a.dir);
  auto written = project::NewProject(options);
  if (!written.ok()) {
    std::fprintf(stderr, "theater new: %s\n", written.error().c_str());
    return kExitUsage;
  }
  std::string dir = options.dir.string();
  std::printf("created %s (%s actor, %zu files)\n\n", dir.c_str(), project::LanguageName(*language), written->size());
  std::printf("  theater build %s\n  theater run %s/manifest.toml --request hi\n", dir.c_str(), dir.c_str());
  return kExitOk;
}

int Build(const std::string& dir) {
  project::BuildOptions options;
  options.dir = dir.empty() ? "." : dir;
  options.progress = [](const std::string& line) { std::fprintf(stderr, "  %s\n", line.c_str()); };
  auto built = project::BuildProject(options);
  if (!built.ok()) {
    std::fprintf(stderr, "theater build: %s\n", built.error().c_str());
    return kExitUsage;
  }
  std::printf("built %s (%llu bytes)\n", built->component.lexically_normal().string().c_str(),
              static_cast<unsigned long long>(built->bytes));
  return kExitOk;
}

}  // namespace

void AddProjectCommands(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<NewArgs>();
  CLI::App* make = app.add_subcommand(
      "new",
      "Write a new actor project: its source (a greeter that counts requests), manifest.toml,\n"
      "build.toml, a README, and a copy of the WIT contract and the SDK, so that it builds\n"
      "wherever Theater is installed.");
  make->add_option("name", a->name, "The actor's name (letters, digits, - and _), also its directory")->required();
  make->add_option("--lang", a->lang, "c, cpp, python or js")->capture_default_str();
  make->add_option("--dir", a->dir, "Write the project here instead of ./NAME (must not exist, or be empty)");
  make->footer(
      "Example:\n"
      "  theater new hello --lang cpp\n"
      "  theater build hello\n"
      "  theater run hello/manifest.toml --request hi\n"
      "Exit status: 0 written, 2 bad name or language, or the directory is not empty.");
  make->callback([a, &exit_code] { exit_code = New(*a); });

  auto dir = std::make_shared<std::string>();
  CLI::App* build = app.add_subcommand(
      "build",
      "Build an actor project (a directory with a build.toml) into its component, with the\n"
      "language's toolchain: for C and C++, wit-bindgen c, clang-22 (wasm32-wasi) and\n"
      "wasm-tools component new; for Python, componentize-py 0.25.1 (from PATH or\n"
      "~/.cache/theater/componentize-py-0.25.1); for JavaScript, componentize-js 0.23.0 on\n"
      "Node.js (from PATH or ~/.cache/theater/componentize-js). Intermediate files go to\n"
      "DIR/build/. A Python or JavaScript build takes 10 to 60 seconds: it runs the\n"
      "language's runtime once to snapshot it.");
  build->add_option("dir", *dir, "The project (default: the current directory)");
  build->footer(
      "build.toml:\n"
      "  language = \"c\"              # c, cpp, python or js\n"
      "  world = \"message-actor\"     # a world of theater/wit/worlds.wit\n"
      "  sources = [\"src/actor.c\"]\n"
      "  output = \"hello.wasm\"       # the manifest's component\n"
      "Tools are looked up on PATH, then in ~/.cargo/bin; THEATER_GUEST_CC, THEATER_GUEST_CXX,\n"
      "THEATER_WIT_BINDGEN, THEATER_WASM_TOOLS, THEATER_COMPONENTIZE_PY, THEATER_COMPONENTIZE_JS\n"
      "and THEATER_NODE override them.\n"
      "Exit status: 0 built, 2 no or bad build.toml, a missing tool, or a step failed (its output is shown).");
  build->callback([dir, &exit_code] { exit_code = Build(*dir); });
}

}  // namespace theater::cli
