#include "host/http_framework_interface.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>

#include "host/http_actor_gateway.h"
#include "host/http_server.h"
#include "runtime/host_services.h"
#include "runtime/host_binding.h"

namespace theater::host {
namespace {

using namespace http;  // NOLINT: the server's types, in this file only

constexpr char kFramework[] = "theater:simple/http-framework";
constexpr size_t kMaxHandlers = 1024;
constexpr size_t kMaxRoutesPerServer = 1024;
constexpr size_t kMaxMiddlewarePerServer = 64;
constexpr size_t kMaxHandlerNameBytes = 256;

using Args = std::vector<Value>;
using Out = Result<std::optional<Value>>;

// What the http-framework handler of the manifest allows (docs/host-interfaces.md).
struct Settings {
  ServerLimits limits;
  uint64_t max_servers = 8;
  bool bind_any_host = false;
  std::optional<std::filesystem::path> tls_dir;  // where certificates and keys may be read
};

Settings ReadSettings(ActorContext& actor) {
  Settings s;
  const nlohmann::json* j = actor.permissions().Settings("http-framework");
  if (!j) return s;
  auto positive = [&](const char* key, uint64_t fallback) -> uint64_t {
    int64_t v = j->value(key, static_cast<int64_t>(fallback));
    return v < 1 ? 1 : static_cast<uint64_t>(v);
  };
  s.limits.max_request_bytes = positive("max_request_bytes", s.limits.max_request_bytes);
  s.limits.max_connections = static_cast<uint32_t>(std::min<uint64_t>(positive("max_connections", s.limits.max_connections), 1 << 20));
  s.limits.header_timeout = std::chrono::milliseconds(positive("header_timeout_ms", s.limits.header_timeout.count()));
  s.limits.request_timeout = std::chrono::milliseconds(positive("request_timeout_ms", s.limits.request_timeout.count()));
  s.max_servers = positive("max_servers", s.max_servers);
  s.bind_any_host = j->value("bind_any_host", false);
  if (j->contains("tls_dir")) {
    // Relative to the manifest's folder, like the component.
    std::filesystem::path dir = (*j)["tls_dir"].get<std::string>();
    if (dir.is_relative()) dir = actor.manifest().file.parent_path() / dir;
    s.tls_dir = dir;
  }
  return s;
}

// The actor's servers and what it registered for them; released when the actor finishes,
// and each server stops as it goes.
struct FrameworkState {
  uint64_t next_server = 1, next_handler = 1, next_route = 1, next_middleware = 1;
  std::map<uint64_t, std::string> handlers;
  std::map<uint64_t, uint64_t> route_server, middleware_server;
  std::shared_ptr<std::atomic<uint64_t>> connection_ids = std::make_shared<std::atomic<uint64_t>>(1);
  std::shared_ptr<ActorGateway> gateway;
  std::map<uint64_t, std::unique_ptr<HttpServer>> servers;  // last: stopped first
};

FrameworkState& StateOf(ActorContext& actor) { return actor.HostState<FrameworkState>("http-framework"); }

std::optional<Value> Ok(std::optional<Value> v = std::nullopt) { return Value::Ok(std::move(v)); }
std::optional<Value> Err(const std::string& why) { return Value::Err(Value::String(why)); }
// A refusal of what the manifest does not allow: recorded as denied.
std::optional<Value> Deny(ActorContext& actor, const std::string& why) {
  actor.Deny(why);
  return Err(why);
}

std::string Id(uint64_t id) { return std::to_string(id); }

HttpServer* FindServer(FrameworkState& st, uint64_t id) {
  auto it = st.servers.find(id);
  return it == st.servers.end() ? nullptr : it->second.get();
}

bool IsLoopback(const std::string& host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  if (!host.starts_with("127.")) return false;
  return std::all_of(host.begin(), host.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

// `file` (relative to `dir`, or absolute) as a real path inside `dir`: symlinks and `..`
// that lead out are refused.
Result<std::filesystem::path> InsideDir(const std::filesystem::path& dir, const std::string& file) {
  std::error_code ec;
  std::filesystem::path root = std::filesystem::canonical(dir, ec);
  if (ec) return Status::Error("the tls_dir `" + dir.string() + "` cannot be read: " + ec.message());
  if (file.empty() || file.size() > 4096 || file.find('\0') != std::string::npos)
    return Status::Error("`" + file + "` is not a file name");
  std::filesystem::path path = std::filesystem::path(file).is_absolute() ? std::filesystem::path(file) : root / file;
  std::filesystem::path real = std::filesystem::weakly_canonical(path, ec);
  if (ec) return Status::Error("`" + file + "` cannot be resolved: " + ec.message());
  auto rel = real.lexically_relative(root);
  if (rel.empty() || *rel.begin() == "..") return Status::Error("`" + file + "` is outside the tls_dir");
  return real;
}

Out CreateServer(ActorContext& actor, Args& args) {
  const Value& config = args.at(0);
  std::optional<uint16_t> port;
  std::string host = "127.0.0.1";
  std::optional<std::pair<std::string, std::string>> tls;  // cert-path, key-path
  for (const auto& f : config.fields()) {
    if (f.name == "port" && f.value.has_payload()) port = static_cast<uint16_t>(f.value.payload().as_unsigned());
    if (f.name == "host" && f.value.has_payload()) host = f.value.payload().as_string();
    if (f.name == "tls-config" && f.value.has_payload()) {
      const Value& files = f.value.payload();
      tls.emplace();
      for (const auto& file : files.fields()) (file.name == "cert-path" ? tls->first : tls->second) = file.value.as_string();
    }
  }
  if (host.empty() || host.size() > 253 ||
      !std::all_of(host.begin(), host.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':'; }))
    return Err("host `" + host + "` is not a host name or IP address");
  Settings settings = ReadSettings(actor);
  if (!settings.bind_any_host && !IsLoopback(host))
    return Deny(actor, "binding to host `" + host + "` is not allowed: only loopback addresses (127.0.0.1, ::1, localhost) "
                       "unless the http-framework handler sets bind_any_host = true");
  FrameworkState& st = StateOf(actor);
  if (st.servers.size() >= settings.max_servers)
    return Deny(actor, "this actor already has " + std::to_string(st.servers.size()) + " servers (max_servers = " +
                           std::to_string(settings.max_servers) + ")");
  if (!st.gateway) st.gateway = std::make_shared<ActorExportGateway>(&actor.services(), actor.id());
  auto server = std::make_unique<HttpServer>(st.next_server, host, port.value_or(0), settings.limits, st.gateway,
                                             st.connection_ids);
  if (tls) {
    if (!settings.tls_dir)
      return Deny(actor, "TLS is not allowed: the http-framework handler has no tls_dir (the folder certificates "
                         "and keys may be read from)");
    auto cert = InsideDir(*settings.tls_dir, tls->first), key = InsideDir(*settings.tls_dir, tls->second);
    if (!cert.ok()) return Deny(actor, "cert-path: " + cert.error());
    if (!key.ok()) return Deny(actor, "key-path: " + key.error());
    if (Status s = server->UseTls(cert->string(), key->string()); !s.ok()) return Err(s.message());
  }
  uint64_t id = st.next_server++;
  st.servers[id] = std::move(server);
  return Ok(Value::U64(id));
}

Out GetServerInfo(ActorContext& actor, Args& args) {
  uint64_t id = args.at(0).as_unsigned();
  HttpServer* server = FindServer(StateOf(actor), id);
  if (!server) return Err("no server " + Id(id));
  auto routing = server->routing();
  return Ok(Value::Record({{"id", Value::U64(id)},
                           {"port", Value::U16(server->port())},
                           {"host", Value::String(server->host())},
                           {"running", Value(server->running())},
                           {"routes-count", Value::U32(static_cast<uint32_t>(routing->routes.size()))},
                           {"middleware-count", Value::U32(static_cast<uint32_t>(routing->middleware.size()))},
                           {"websocket-enabled", Value(routing->websocket.has_value())}}));
}

Out StartServer(ActorContext& actor, Args& args) {
  uint64_t id = args.at(0).as_unsigned();
  HttpServer* server = FindServer(StateOf(actor), id);
  if (!server) return Err("no server " + Id(id));
  auto port = server->Start();
  if (!port.ok()) return Err("server " + Id(id) + " could not start: " + port.error());
  return Ok(Value::U16(*port));
}

Out StopServer(ActorContext& actor, Args& args) {
  uint64_t id = args.at(0).as_unsigned();
  HttpServer* server = FindServer(StateOf(actor), id);
  if (!server) return Err("no server " + Id(id));
  if (!server->running()) return Err("server " + Id(id) + " is not running");
  server->Stop();
  return Ok();
}

Out DestroyServer(ActorContext& actor, Args& args) {
  uint64_t id = args.at(0).as_unsigned();
  FrameworkState& st = StateOf(actor);
  auto it = st.servers.find(id);
  if (it == st.servers.end()) return Err("no server " + Id(id));
  st.servers.erase(it);  // stops it
  std::erase_if(st.route_server, [&](const auto& entry) { return entry.second == id; });
  std::erase_if(st.middleware_server, [&](const auto& entry) { return entry.second == id; });
  return Ok();
}

Out RegisterHandler(ActorContext& actor, Args& args) {
  const std::string& name = args.at(0).as_string();
  FrameworkState& st = StateOf(actor);
  if (name.empty() || name.size() > kMaxHandlerNameBytes)
    return Err("a handler name is 1 to " + std::to_string(kMaxHandlerNameBytes) + " bytes long");
  if (st.handlers.size() >= kMaxHandlers) return Err("this actor already has " + std::to_string(kMaxHandlers) + " handlers");
  uint64_t id = st.next_handler++;
  st.handlers[id] = name;
  return Ok(Value::U64(id));
}

Out AddRoute(ActorContext& actor, Args& args) {
  uint64_t server_id = args.at(0).as_unsigned(), handler = args.at(3).as_unsigned();
  const std::string &path = args.at(1).as_string(), &method_text = args.at(2).as_string();
  FrameworkState& st = StateOf(actor);
  HttpServer* server = FindServer(st, server_id);
  if (!server) return Err("no server " + Id(server_id));
  if (!st.handlers.count(handler)) return Err("no handler " + Id(handler) + " (register-handler gives handler ids)");
  if (Status s = ValidateRoutePattern(path); !s.ok()) return Err("route path `" + path + "`: " + s.message());
  auto method = NormalizeMethod(method_text);
  if (!method.ok()) return Err("method `" + method_text + "`: " + method.error());
  auto routing = server->routing();
  if (routing->routes.size() >= kMaxRoutesPerServer)
    return Err("server " + Id(server_id) + " already has " + std::to_string(kMaxRoutesPerServer) + " routes");
  for (const Route& r : routing->routes)
    if (r.pattern == path && r.method == *method)
      return Err("server " + Id(server_id) + " already has a route " + *method + " " + path + " (route " + Id(r.id) + ")");
  uint64_t id = st.next_route++;
  server->UpdateRouting([&](Routing& table) { table.routes.push_back(Route{id, *method, path, handler}); });
  st.route_server[id] = server_id;
  return Ok(Value::U64(id));
}

Out RemoveRoute(ActorContext& actor, Args& args) {
  uint64_t id = args.at(0).as_unsigned();
  FrameworkState& st = StateOf(actor);
  auto it = st.route_server.find(id);
  if (it == st.route_server.end()) return Err("no route " + Id(id));
  if (HttpServer* server = FindServer(st, it->second))
    server->UpdateRouting([&](Routing& table) { std::erase_if(table.routes, [&](const Route& r) { return r.id == id; }); });
  st.route_server.erase(it);
  return Ok();
}

Out AddMiddleware(ActorContext& actor, Args& args) {
  uint64_t server_id = args.at(0).as_unsigned(), handler = args.at(2).as_unsigned();
  const std::string& path = args.at(1).as_string();
  FrameworkState& st = StateOf(actor);
  HttpServer* server = FindServer(st, server_id);
  if (!server) return Err("no server " + Id(server_id));
  if (!st.handlers.count(handler)) return Err("no handler " + Id(handler) + " (register-handler gives handler ids)");
  auto prefix = NormalizeMiddlewarePath(path);
  if (!prefix.ok()) return Err("middleware path `" + path + "`: " + prefix.error());
  if (server->routing()->middleware.size() >= kMaxMiddlewarePerServer)
    return Err("server " + Id(server_id) + " already has " + std::to_string(kMaxMiddlewarePerServer) + " middleware");
  uint64_t id = st.next_middleware++;
  server->UpdateRouting([&](Routing& table) { table.middleware.push_back(Middleware{id, *prefix, handler}); });
  st.middleware_server[id] = server_id;
  return Ok(Value::U64(id));
}

Out RemoveMiddleware(ActorContext& actor, Args& args) {
  uint64_t id = args.at(0).as_unsigned();
  FrameworkState& st = StateOf(actor);
  auto it = st.middleware_server.find(id);
  if (it == st.middleware_server.end()) return Err("no middleware " + Id(id));
  if (HttpServer* server = FindServer(st, it->second))
    server->UpdateRouting(
        [&](Routing& table) { std::erase_if(table.middleware, [&](const Middleware& m) { return m.id == id; }); });
  st.middleware_server.erase(it);
  return Ok();
}

Out EnableWebSocket(ActorContext& actor, Args& args) {
  uint64_t server_id = args.at(0).as_unsigned();
  const std::string& path = args.at(1).as_string();
  FrameworkState& st = StateOf(actor);
  HttpServer* server = FindServer(st, server_id);
  if (!server) return Err("no server " + Id(server_id));
  if (Status s = ValidateRoutePattern(path); !s.ok()) return Err("websocket path `" + path + "`: " + s.message());
  if (path.find_first_of("{*") != std::string::npos) return Err("websocket path `" + path + "`: it must be an exact path");
  WebSocketRoute route{path, std::nullopt, args.at(3).as_unsigned(), std::nullopt};
  if (args.at(2).has_payload()) route.connect_handler = args.at(2).payload().as_unsigned();
  if (args.at(4).has_payload()) route.disconnect_handler = args.at(4).payload().as_unsigned();
  for (std::optional<uint64_t> h : {route.connect_handler, std::optional<uint64_t>(route.message_handler), route.disconnect_handler})
    if (h && !st.handlers.count(*h)) return Err("no handler " + Id(*h) + " (register-handler gives handler ids)");
  server->UpdateRouting([&](Routing& table) { table.websocket = route; });
  return Ok();
}

Out SendWebSocketMessage(ActorContext& actor, Args& args) {
  uint64_t server_id = args.at(0).as_unsigned(), connection = args.at(1).as_unsigned();
  HttpServer* server = FindServer(StateOf(actor), server_id);
  if (!server) return Err("no server " + Id(server_id));
  auto message = WsMessageFromValue(args.at(2));
  if (!message.ok()) return Err(message.error());
  size_t size = message->data.value_or("").size() + message->text.value_or("").size();
  uint64_t max = ReadSettings(actor).limits.max_request_bytes;
  if (size > max)
    return Deny(actor, "a WebSocket message of " + std::to_string(size) + " bytes is larger than max_request_bytes (" +
                           std::to_string(max) + ")");
  if (Status s = server->SendWebSocket(connection, std::move(*message)); !s.ok()) return Err(s.message());
  return Ok();
}

Out CloseWebSocket(ActorContext& actor, Args& args) {
  uint64_t server_id = args.at(0).as_unsigned(), connection = args.at(1).as_unsigned();
  HttpServer* server = FindServer(StateOf(actor), server_id);
  if (!server) return Err("no server " + Id(server_id));
  if (Status s = server->CloseWebSocket(connection); !s.ok()) return Err(s.message());
  return Ok();
}

}  // namespace

Status DefineHttpFrameworkInterface(Engine& engine) {
  const std::string tls = "option<record{cert-path: string, key-path: string}>";
  const std::string config = "record{port: option<u16>, host: option<string>, tls-config: " + tls + "}";
  const std::string info =
      "record{id: u64, port: u16, host: string, running: bool, routes-count: u32, middleware-count: u32, "
      "websocket-enabled: bool}";
  const std::vector<std::tuple<const char*, std::string, ActorFunction>> functions = {
      {"create-server", "func(" + config + ") -> result<u64, string>", CreateServer},
      {"get-server-info", "func(u64) -> result<" + info + ", string>", GetServerInfo},
      {"start-server", "func(u64) -> result<u16, string>", StartServer},
      {"stop-server", "func(u64) -> result<_, string>", StopServer},
      {"destroy-server", "func(u64) -> result<_, string>", DestroyServer},
      {"register-handler", "func(string) -> result<u64, string>", RegisterHandler},
      {"add-route", "func(u64, string, string, u64) -> result<u64, string>", AddRoute},
      {"remove-route", "func(u64) -> result<_, string>", RemoveRoute},
      {"add-middleware", "func(u64, string, u64) -> result<u64, string>", AddMiddleware},
      {"remove-middleware", "func(u64) -> result<_, string>", RemoveMiddleware},
      {"enable-websocket", "func(u64, string, option<u64>, u64, option<u64>) -> result<_, string>", EnableWebSocket},
      {"send-websocket-message", "func(u64, u64, " + kWebSocketMessageType + ") -> result<_, string>",
       SendWebSocketMessage},
      {"close-websocket", "func(u64, u64) -> result<_, string>", CloseWebSocket},
  };
  for (const auto& [name, signature, fn] : functions)
    THEATER_RETURN_IF_ERROR(DefineActorFunction(engine, kFramework, name, signature, fn));
  return Status::Ok();
}

}  // namespace theater::host
