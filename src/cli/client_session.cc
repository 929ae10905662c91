#include "cli/client_session.h"

#include <cstdlib>

namespace theater::cli {

void AddClientOptions(CLI::App* cmd, ClientOptions& o) {
  cmd->add_option("--server", o.server, "Server address HOST:PORT (default: $THEATER_SERVER or 127.0.0.1:9000)");
  cmd->add_option("--token", o.token, "Token for a server that requires one (default: $THEATER_TOKEN)");
  cmd->add_flag("--json", o.json, "Print JSON (one object per line) for scripts");
}

std::string ServerAddress(const ClientOptions& o) {
  if (!o.server.empty()) return o.server;
  if (const char* env = std::getenv("THEATER_SERVER"); env && *env) return env;
  return "127.0.0.1:9000";
}

std::unique_ptr<server::Client> ConnectOrReport(const ClientOptions& o, const char* command, int& exit_code) {
  std::string token = o.token;
  if (token.empty())
    if (const char* env = std::getenv("THEATER_TOKEN")) token = env;
  auto client = server::Client::Connect(ServerAddress(o), token);
  if (!client.ok()) {
    if (o.json) Output(true).Json({{"ok", false}, {"error", {{"kind", "NoServer"}, {"message", client.error()}}}});
    else std::fprintf(stderr, "theater %s: %s\n", command, client.error().c_str());
    bool refused = client.error().rfind(server::kTokenRefused, 0) == 0;
    exit_code = refused ? kExitActorFailed : kExitNoServer;
    return nullptr;
  }
  return std::move(*client);
}

std::optional<server::json> CallExpecting(server::Client& client, const server::json& request, const char* tag,
                                          const ClientOptions& o, const char* command, int& exit_code) {
  auto response = client.Call(request);
  if (!response.ok()) {
    if (o.json) Output(true).Json({{"ok", false}, {"error", {{"kind", "Disconnected"}, {"message", response.error()}}}});
    else std::fprintf(stderr, "theater %s: %s\n", command, response.error().c_str());
    exit_code = kExitNoServer;
    return std::nullopt;
  }
  if (response->contains(tag)) return (*response)[tag];
  server::json error = response->contains("Error") ? (*response)["Error"]
                                                   : server::json{{"kind", "UnexpectedResponse"}, {"message", response->dump()}};
  if (o.json) Output(true).Json({{"ok", false}, {"error", error}});
  else std::fprintf(stderr, "theater %s: %s\n", command, error.value("message", error.dump()).c_str());
  std::string kind = error.value("kind", "");
  exit_code = kind == server::error_kind::kInvalidCommand ? kExitUsage : kExitActorFailed;
  return std::nullopt;
}

server::json TextBytes(const std::string& text) {
  if (IsValidUtf8(text)) return text;
  // A JSON string must be UTF-8 (dumping one that is not throws): these go as base64.
  return server::BytesToJson(ToBytes(text), /*base64=*/true);
}

Bytes ProtocolBytes(const server::json& value) {
  auto bytes = server::BytesFromJson(value);
  return bytes.ok() ? std::move(*bytes) : Bytes();
}

}  // namespace theater::cli
