// What the client commands share: where the server is (--server, $THEATER_SERVER), the
// token (--token, $THEATER_TOKEN), --json, and how a response or an error is printed.
#pragma once

#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/output.h"
#include "server/client.h"

namespace theater::cli {

struct ClientOptions {
  std::string server;  // HOST:PORT
  std::string token;
  bool json = false;
};

// Adds --server, --token and --json to `cmd`.
void AddClientOptions(CLI::App* cmd, ClientOptions& options);
// The server address to use: --server, else $THEATER_SERVER, else 127.0.0.1:9000.
std::string ServerAddress(const ClientOptions& options);

// A connection for one command; prints why not and sets `exit_code` (kExitNoServer).
std::unique_ptr<server::Client> ConnectOrReport(const ClientOptions& options, const char* command, int& exit_code);

// Sends `request` and returns the body of the expected response `tag`; on an Error
// response (or another) prints it and sets `exit_code`.
std::optional<server::json> CallExpecting(server::Client& client, const server::json& request, const char* tag,
                                          const ClientOptions& options, const char* command, int& exit_code);

// Bytes given on the command line, as the protocol takes them.
server::json TextBytes(const std::string& text);
// Bytes from the protocol (an array of numbers or base64) for people or for --json.
Bytes ProtocolBytes(const server::json& value);

}  // namespace theater::cli
