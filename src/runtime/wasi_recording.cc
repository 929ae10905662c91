#include "runtime/wasi_recording.h"

#include <openssl/rand.h>

#include <chrono>
#include <cstdlib>

namespace theater {
namespace {

uint64_t Nanos(std::chrono::nanoseconds d) { return static_cast<uint64_t>(d.count()); }

}  // namespace

Environment WasiEnvironment(const Permissions& permissions) {
  Environment env;
  const nlohmann::json* settings = permissions.Settings("wasi");
  if (!settings || !settings->contains("allowed_vars")) return env;
  for (const auto& name : (*settings)["allowed_vars"]) {
    std::string n = name.get<std::string>();
    if (const char* value = std::getenv(n.c_str())) env.emplace_back(n, value);
  }
  return env;
}

ordered_json EnvironmentToJson(const Environment& env) {
  ordered_json pairs = ordered_json::array();
  for (const auto& [name, value] : env) pairs.push_back({name, value});
  return {{"result", pairs}};
}

Environment EnvironmentFromJson(const ordered_json& data) {
  Environment env;
  if (!data.contains("result") || !data["result"].is_array()) return env;
  for (const auto& pair : data["result"])
    if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string())
      env.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
  return env;
}

WasiHooks LiveWasiHooks(ActorContext& actor, Environment env) {
  WasiHooks hooks;
  ActorContext* a = &actor;
  hooks.env = std::move(env);
  hooks.wall_now = [a] {
    uint64_t ns = Nanos(std::chrono::system_clock::now().time_since_epoch());
    a->RecordReading(kWasiWallClock, ns);
    return ns;
  };
  hooks.monotonic_now = [a] {
    uint64_t ns = Nanos(std::chrono::steady_clock::now().time_since_epoch());
    a->RecordReading(kWasiMonotonicClock, ns);
    return ns;
  };
  hooks.random = [a](std::span<uint8_t> out) {
    if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) std::fill(out.begin(), out.end(), 0);
    a->Record(kWasiRandom, {{"len", out.size()}, {"result", ordered_json::binary(Bytes(out.begin(), out.end()))}});
  };
  hooks.write = [a](int fd, std::span<const uint8_t> bytes) {
    std::string text(bytes.begin(), bytes.end());
    // Output counts against the turn's log bytes like runtime.log; past them it is refused.
    Status charged = a->ChargeLog(text.size());
    const char* type = fd == 2 ? kWasiStderr : kWasiStdout;
    if (!charged.ok()) {
      a->Record(type, {{"bytes", text.size()}, {"denied", charged.message()}});
      return false;
    }
    a->Record(type, {{"text", ordered_json::binary(Bytes(bytes.begin(), bytes.end()))}});
    // What ends in a newline is a log line; the rest is shown as it is.
    if (!text.empty() && text.back() == '\n') text.pop_back();
    if (!text.empty()) a->Log(text);
    return true;
  };
  hooks.socket_refused = [a](const std::string& what) {
    a->Record(kWasiSocketRefused, {{"what", what}, {"denied", "sockets are not granted: the network is http-client's"}});
  };
  return hooks;
}

}  // namespace theater
