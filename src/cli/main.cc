// theater: the command-line interface.
#include <cstdio>
#include <string_view>

#include "cli/commands.h"
#include "common/files.h"

namespace theater::cli {

std::filesystem::path GlobalOptions::DataDir() const {
  return data_dir.empty() ? DefaultDataDir() : std::filesystem::path(data_dir);
}

}  // namespace theater::cli

namespace {
constexpr char kVersion[] = "theater 0.1.0 (wasmtime 48.0.8)";
}  // namespace

int main(int argc, char** argv) {
  using namespace theater::cli;
  // Answered before the command tree is built: a script that asks for the version pays
  // for starting the process only.
  if (argc == 2 && std::string_view(argv[1]) == "--version") {
    std::puts(kVersion);
    return 0;
  }
  CLI::App app{
      "Theater runs WebAssembly components as sandboxed actors and records everything that\n"
      "crosses the sandbox in a hash-linked chain that can be verified.\n\n"
      "Data (chains, compiled components) lives in --data-dir, $THEATER_HOME or ~/.theater.\n"
      "Run one actor system in the foreground with `theater run`, or a long-lived server with\n"
      "`theater server` and drive it with start/list/send/request/events/... (--server ADDR).\n\n"
      "Exit status: 0 ok, 1 the actor failed, the server refused or a chain did not verify,\n"
      "2 bad input, 3 no server at the address.",
      "theater"};
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(1);
  app.fallthrough();
  GlobalOptions global;
  app.add_option("--data-dir", global.data_dir, "Data directory (default: $THEATER_HOME or ~/.theater)");
  int exit_code = kExitOk;
  AddRunCommand(app, global, exit_code);
  AddChainCommand(app, global, exit_code);
  AddInspectCommand(app, global, exit_code);
  AddReplayCommand(app, global, exit_code);
  AddServerCommand(app, global, exit_code);
  AddStoreCommand(app, global, exit_code);
  AddClientCommands(app, exit_code);
  AddChannelCommand(app, exit_code);
  AddProjectCommands(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }
  return exit_code;
}
