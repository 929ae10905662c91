// The CLI's commands. Each adds its subcommand to the app; the CLI stays a thin layer
// over the library (runtime/, chain/, manifest/).
#pragma once

#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "common/bytes.h"

namespace theater::cli {

// Exit statuses shared by all commands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitActorFailed = 1;   // the actor failed (run) / the chain is invalid (verify)
inline constexpr int kExitUsage = 2;         // bad arguments, manifest, component or data directory
inline constexpr int kExitNoServer = 3;      // no server at the address (or it went away)

struct GlobalOptions {
  std::string data_dir;  // --data-dir, else $THEATER_HOME, else ~/.theater
  std::filesystem::path DataDir() const;
};

// Each returns the subcommand it added; its callback sets `exit_code`.
CLI::App* AddRunCommand(CLI::App& app, const GlobalOptions& global, int& exit_code);
CLI::App* AddChainCommand(CLI::App& app, const GlobalOptions& global, int& exit_code);
CLI::App* AddInspectCommand(CLI::App& app, const GlobalOptions& global, int& exit_code);
CLI::App* AddReplayCommand(CLI::App& app, const GlobalOptions& global, int& exit_code);
CLI::App* AddServerCommand(CLI::App& app, const GlobalOptions& global, int& exit_code);
// `store new|put|get|labels` on <data-dir>/store.db (store_command.cc).
CLI::App* AddStoreCommand(CLI::App& app, const GlobalOptions& global, int& exit_code);
// The client commands of a running server (client_commands.cc, channel_command.cc).
void AddClientCommands(CLI::App& app, int& exit_code);
void AddChannelCommand(CLI::App& app, int& exit_code);
// `new` and `build`: actor projects (project_commands.cc).
void AddProjectCommands(CLI::App& app, int& exit_code);
// `chain prove` and `chain verify-proof`; `chain export` and `chain keygen`.
void AddChainProofCommands(CLI::App& chain, const GlobalOptions& global, int& exit_code);
void AddChainExportCommands(CLI::App& chain, const GlobalOptions& global, int& exit_code);

// Shared by the commands that print chain events.
std::string FormatTime(uint64_t ms);
// Event data as readable JSON (CBOR decoded; bytes as text or hex).
nlohmann::ordered_json ReadableData(const Bytes& data);

}  // namespace theater::cli
