#include "project/build_project.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <toml++/toml.h>

#include "common/files.h"
#include "host/process_spawn.h"

namespace theater::project {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kMaxBuildFileBytes = 64 << 10;
constexpr size_t kMaxToolOutput = 64 << 10;  // what is kept of a tool's output, from its end

// A tool: on PATH, else in `fallback_dir` (where set-up installs it); `override_env` names
// a variable that gives its path instead.
Result<std::string> FindTool(const std::string& name, const char* override_env, const std::string& fallback_dir,
                             const std::string& how_to_install) {
  if (const char* given = std::getenv(override_env); given && *given) return std::string(given);
  const char* path = std::getenv("PATH");
  std::string dirs = host::AbsolutePathEntries(path ? path : "");
  dirs += (dirs.empty() ? "" : ":") + fallback_dir;
  if (auto found = host::FindOnPath(name, dirs)) return *found;
  return Status::Error("`" + name + "` was not found on PATH or in " + fallback_dir + ": " + how_to_install);
}

std::string HomeDir() {
  const char* home = std::getenv("HOME");
  return home ? home : "";
}

// A world's name as the bindings spell it: message-actor -> message_actor.
std::string WorldStem(std::string world) {
  std::replace(world.begin(), world.end(), '-', '_');
  return world;
}

// The component that was built, and its size.
BuildOutcome Built(const fs::path& dir, const std::string& output) {
  BuildOutcome outcome;
  outcome.component = dir / output;
  std::error_code ec;
  outcome.bytes = fs::file_size(outcome.component, ec);
  return outcome;
}

// Runs a tool in `cwd` and waits for it; its output (stdout and stderr, the last 64 KiB)
// is the error's text when it fails, under `name` (default: the program's file name).
Status RunTool(const std::vector<std::string>& argv, const fs::path& cwd, std::string name = "") {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Status::Error("pipe: " + std::string(strerror(errno)));
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  UniqueFd no_input(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  host::ChildSpec spec;
  spec.program = argv[0];
  spec.argv = argv;
  for (char** e = environ; *e; ++e) spec.env.push_back(*e);
  spec.stdin_fd = no_input.get();
  spec.stdout_fd = write_end.get();
  spec.stderr_fd = write_end.get();
  spec.cwd = cwd.string();
  auto child = host::ChildProcess::Start(spec);
  write_end = UniqueFd();  // the child holds it now; EOF comes when it ends
  if (!child.ok()) return child.status();
  std::string output;
  char buf[4096];
  for (ssize_t n; (n = ::read(read_end.get(), buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    output.append(buf, static_cast<size_t>(n));
    if (output.size() > 2 * kMaxToolOutput) output.erase(0, output.size() - kMaxToolOutput);
  }
  std::optional<int32_t> code = (*child)->Wait();
  if (code && *code == 0) return Status::Ok();
  if (output.size() > kMaxToolOutput) output = "…" + output.substr(output.size() - kMaxToolOutput);
  if (name.empty()) name = fs::path(argv[0]).filename().string();
  return Status::Error(name + " failed" + (code ? " (exit status " + std::to_string(*code) + ")" : "") + ":\n" + output);
}

// The SDK's export switches for what the world exports, as the project's worlds.wit says
// (cmake/GuestActors.cmake reads it the same way).
Result<std::vector<std::string>> WorldFlags(const fs::path& dir, const std::string& world) {
  fs::path file = dir / "theater" / "wit" / "worlds.wit";
  auto bytes = ReadFile(file, kMaxBuildFileBytes);
  if (!bytes.ok()) return bytes.status();
  std::string text(bytes->begin(), bytes->end());
  size_t begin = text.find("world " + world + " {");
  size_t end = begin == std::string::npos ? begin : text.find('}', begin);
  if (end == std::string::npos) return Status::Error("no world `" + world + "` in " + file.string());
  std::string body = text.substr(begin, end - begin);
  std::vector<std::string> flags = {"-DTHEATER_WORLD=" + WorldStem(world)};
  if (body.find("export message-server-client;") != std::string::npos) flags.push_back("-DTHEATER_EXPORTS_MESSAGE_CLIENT");
  if (body.find("export supervisor-handlers;") != std::string::npos) flags.push_back("-DTHEATER_EXPORTS_SUPERVISOR_HANDLERS");
  return flags;
}

bool IsCpp(const std::string& source) {
  for (const char* ext : {".cpp", ".cc", ".cxx"})
    if (source.size() > std::strlen(ext) && source.ends_with(ext)) return true;
  return false;
}

// A path in build.toml stays inside the project.
bool InsideProject(const std::string& path) {
  fs::path p(path);
  if (p.empty() || p.is_absolute()) return false;
  for (const fs::path& part : p.lexically_normal())
    if (part == "..") return false;
  return true;
}

// Where scripts/setup.sh installs the toolchains that are not Debian's.
std::string CacheDir() {
  const char* cache = std::getenv("THEATER_CACHE");
  return cache && *cache ? std::string(cache) : HomeDir() + "/.cache/theater";
}

// Python: componentize-py bundles CPython, the SDK (theater/sdk/theater.py) and the
// project's modules into a component; the app module is the source file's name.
Result<BuildOutcome> BuildPython(const fs::path& dir, const BuildFile& build, const BuildOptions& options) {
  std::string venv = CacheDir() + "/componentize-py-0.25.1";
  auto tool = FindTool("componentize-py", "THEATER_COMPONENTIZE_PY", venv + "/bin",
                       "python3 -m venv " + venv + " && " + venv +
                           "/bin/pip install componentize-py==0.25.1 (or run Theater's scripts/setup.sh)");
  if (!tool.ok()) return tool.status();
  if (build.sources.size() != 1 || !build.sources[0].ends_with(".py"))
    return Status::Error("a Python build has one source, the app module (actor.py)");
  std::string module = fs::path(build.sources[0]).stem().string();
  std::string module_dir = fs::path(build.sources[0]).parent_path().string();
  if (options.progress) options.progress("componentize-py: " + build.sources[0] + " -> " + build.output);
  THEATER_RETURN_IF_ERROR(RunTool({*tool, "-d", "theater/wit", "-w", build.world, "componentize", "-p",
                                   module_dir.empty() ? "." : module_dir, "-p", "theater/sdk", "-o", build.output, module},
                                  dir));
  return Built(dir, build.output);
}

// JavaScript: componentize-js bundles StarlingMonkey (SpiderMonkey), the source module and
// what it imports by relative path (the SDK in theater/sdk/) into a component, run once
// at build time (Wizer) so that a start does not parse the JavaScript again. WASI's http
// and fetch-event are left out: Theater provides no wasi:http.
Result<BuildOutcome> BuildJs(const fs::path& dir, const BuildFile& build, const BuildOptions& options) {
  std::string home = CacheDir() + "/componentize-js";
  const std::string setup = "run Theater's scripts/setup.sh, which installs it into " + home;
  auto tool = FindTool("componentize-js", "THEATER_COMPONENTIZE_JS", home + "/node_modules/.bin",
                       "npm install @bytecodealliance/componentize-js@0.23.0 (" + setup + ")");
  if (!tool.ok()) return tool.status();
  auto node = FindTool("node", "THEATER_NODE", "/usr/bin", "componentize-js runs on Node.js: apt-get install nodejs");
  if (!node.ok()) return node.status();
  if (build.sources.size() != 1 || !build.sources[0].ends_with(".js"))
    return Status::Error("a JavaScript build has one source, the entry module (actor.js); it imports the rest");
  if (options.progress) options.progress("componentize-js: " + build.sources[0] + " -> " + build.output);
  THEATER_RETURN_IF_ERROR(RunTool({*node, *tool, build.sources[0], "-w", "theater/wit", "-n", build.world, "-d", "http",
                                   "fetch-event", "-o", build.output},
                                  dir, "componentize-js"));
  return Built(dir, build.output);
}

Result<BuildOutcome> BuildC(const fs::path& dir, const BuildFile& build, const BuildOptions& options) {
  bool cpp = build.language == "cpp";
  const std::string setup = "run Theater's scripts/setup.sh, or see README.md";
  const std::string cargo_bin = HomeDir() + "/.cargo/bin";  // where `cargo install` puts them
  auto bindgen = FindTool("wit-bindgen", "THEATER_WIT_BINDGEN", cargo_bin, "cargo install --locked wit-bindgen-cli@0.63.0 (or " + setup + ")");
  if (!bindgen.ok()) return bindgen.status();
  auto wasm_tools = FindTool("wasm-tools", "THEATER_WASM_TOOLS", cargo_bin, "cargo install --locked wasm-tools@1.263.0 (or " + setup + ")");
  if (!wasm_tools.ok()) return wasm_tools.status();
  auto cc = FindTool(cpp ? "clang++-22" : "clang-22", cpp ? "THEATER_GUEST_CXX" : "THEATER_GUEST_CC", cargo_bin,
                     "apt-get install clang-22 lld-22 wasi-libc libclang-rt-22-dev-wasm32" +
                         std::string(cpp ? " libc++-22-dev-wasm32 libc++abi-22-dev-wasm32" : "") + " (or " + setup + ")");
  if (!cc.ok()) return cc.status();
  auto progress = [&](const std::string& line) {
    if (options.progress) options.progress(line);
  };

  fs::path work = dir / "build";
  std::error_code ec;
  fs::create_directories(work / "bindings", ec);
  if (ec) return Status::Error((work / "bindings").string() + ": cannot create: " + ec.message());
  std::string stem = WorldStem(build.world);
  auto world_flags = WorldFlags(dir, build.world);
  if (!world_flags.ok()) return world_flags.status();

  progress("wit-bindgen c: bindings for the world " + build.world);
  THEATER_RETURN_IF_ERROR(RunTool({*bindgen, "c", "theater/wit", "--world", build.world, "--out-dir", "build/bindings"}, dir));

  std::vector<std::string> sources = build.sources;
  sources.push_back("build/bindings/" + stem + ".c");
  sources.push_back("theater/sdk/theater_wasi_stubs.c");
  sources.push_back("theater/sdk/theater_defaults.c");
  if (cpp) sources.push_back("theater/sdk/theater_exports.cpp");
  std::vector<std::string> common = {"--target=wasm32-wasi", "-Wno-deprecated", "-O2"};
  std::vector<std::string> objects;
  for (size_t i = 0; i < sources.size(); ++i) {
    const std::string& src = sources[i];
    std::string object = "build/" + std::to_string(i) + "-" + fs::path(src).filename().string() + ".o";
    std::vector<std::string> argv = {*cc};
    argv.insert(argv.end(), common.begin(), common.end());
    if (IsCpp(src)) argv.insert(argv.end(), {"-fno-exceptions", "-std=c++20"});
    else if (cpp) argv.insert(argv.end(), {"-x", "c"});  // C sources compiled by clang++
    for (const std::string& f : *world_flags) argv.push_back(f);
    argv.insert(argv.end(), {"-Ibuild/bindings", "-Itheater/sdk", "-c", src, "-o", object});
    progress("compile " + src);
    THEATER_RETURN_IF_ERROR(RunTool(argv, dir));
    objects.push_back(object);
  }
  std::vector<std::string> link = {*cc};
  link.insert(link.end(), common.begin(), common.end());
  link.insert(link.end(), {"-mexec-model=reactor", "-s", "-o", "build/core.wasm"});
  link.insert(link.end(), objects.begin(), objects.end());
  link.push_back("build/bindings/" + stem + "_component_type.o");
  progress("link build/core.wasm");
  THEATER_RETURN_IF_ERROR(RunTool(link, dir));
  progress("wasm-tools component new: " + build.output);
  THEATER_RETURN_IF_ERROR(RunTool({*wasm_tools, "component", "new", "build/core.wasm", "-o", build.output}, dir));
  return Built(dir, build.output);
}

}  // namespace

Result<BuildFile> ReadBuildFile(const fs::path& project_dir) {
  fs::path file = project_dir / "build.toml";
  auto bytes = ReadFile(file, kMaxBuildFileBytes);
  if (!bytes.ok()) return bytes.status().WithContext("theater build needs a build.toml (theater new writes one)");
  std::string origin = file.string();
  toml::table root;
  try {
    root = toml::parse(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()), origin);
  } catch (const toml::parse_error& e) {
    return Status::Error(origin + ":" + std::to_string(e.source().begin.line) + ": invalid TOML: " +
                         std::string(e.description()));
  }
  BuildFile build;
  for (const auto& [key, node] : root) {
    std::string k(key.str());
    std::string at = origin + ":" + std::to_string(node.source().begin.line) + ": `" + k + "`";
    if (k == "language" || k == "world" || k == "output") {
      auto value = node.value<std::string>();
      if (!value) return Status::Error(at + " must be a string");
      (k == "language" ? build.language : k == "world" ? build.world : build.output) = *value;
    } else if (k == "sources") {
      const toml::array* list = node.as_array();
      if (!list) return Status::Error(at + " must be a list of paths");
      for (const toml::node& item : *list) {
        auto path = item.value<std::string>();
        if (!path) return Status::Error(at + " must be a list of paths");
        build.sources.push_back(*path);
      }
    } else {
      return Status::Error(at + ": unknown field (known: language, world, sources, output)");
    }
  }
  if (build.language.empty()) return Status::Error(origin + ": `language` is missing (c, cpp, python or js)");
  if (build.language != "c" && build.language != "cpp" && build.language != "python" && build.language != "js")
    return Status::Error(origin + ": `language` must be c, cpp, python or js, not `" + build.language + "`");
  if (build.world.empty()) build.world = "message-actor";
  if (build.sources.empty()) return Status::Error(origin + ": `sources` is missing or empty");
  if (build.output.empty()) return Status::Error(origin + ": `output` is missing (the component's file name)");
  for (const std::string& path : build.sources)
    if (!InsideProject(path)) return Status::Error(origin + ": source `" + path + "` is not a path inside the project");
  if (!InsideProject(build.output)) return Status::Error(origin + ": output `" + build.output + "` is not a path inside the project");
  for (char c : build.world)
    if (!std::islower(static_cast<unsigned char>(c)) && c != '-') return Status::Error(origin + ": `world` `" + build.world + "` is not a world name");
  return build;
}

Result<BuildOutcome> BuildProject(const BuildOptions& options) {
  auto build = ReadBuildFile(options.dir);
  if (!build.ok()) return build.status();
  for (const std::string& src : build->sources) {
    std::error_code ec;
    if (!fs::is_regular_file(options.dir / src, ec)) return Status::Error((options.dir / src).string() + ": no such source file");
  }
  if (!fs::is_directory(options.dir / "theater" / "wit"))
    return Status::Error((options.dir / "theater" / "wit").string() + ": missing (the WIT contract; theater new writes it)");
  if (build->language == "python") return BuildPython(options.dir, *build, options);
  if (build->language == "js") return BuildJs(options.dir, *build, options);
  return BuildC(options.dir, *build, options);
}

}  // namespace theater::project
