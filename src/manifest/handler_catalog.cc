#include "manifest/handler_catalog.h"

#include <algorithm>

namespace theater {
namespace {

using T = SettingType;
using N = Narrowing;

}  // namespace

const std::vector<HandlerSpec>& HandlerCatalog() {
  static const std::vector<HandlerSpec> kCatalog = {
      {"runtime", "theater:simple/runtime", {}},
      {"message-server", "theater:simple/message-server-host", {}},
      {"supervisor",
       "theater:simple/supervisor",
       {{"strategy", T::kString, N::kFree, {"one-for-one", "one-for-all", "rest-for-one"}},
        {"max_restarts", T::kInteger, N::kAtMost, {}},
        {"restart_window_ms", T::kInteger, N::kAtMost, {}},
        {"backoff_initial_ms", T::kInteger, N::kAtMost, {}},
        {"backoff_max_ms", T::kInteger, N::kAtMost, {}},
        {"backoff_factor", T::kFloat, N::kFree, {}},
        {"restart_state", T::kString, N::kFree, {"init", "last-good"}},
        {"max_children", T::kInteger, N::kAtMost, {}}}},
      {"store",
       "theater:simple/store",
       {{"max_total_size", T::kInteger, N::kAtMost, {}},
        {"stores", T::kStringArray, N::kSubset, {}},
        {"max_stores", T::kInteger, N::kAtMost, {}}}},
      {"timing",
       "theater:simple/timing",
       {{"max_sleep_duration", T::kInteger, N::kAtMost, {}}, {"min_sleep_duration", T::kInteger, N::kAtMost, {}}}},
      {"random",
       "theater:simple/random",
       {{"seed", T::kInteger, N::kFree, {}},
        {"max_bytes", T::kInteger, N::kAtMost, {}},
        {"max_int", T::kInteger, N::kAtMost, {}}}},
      {"environment",
       "theater:simple/environment",
       {{"allowed_vars", T::kStringArray, N::kSubset, {}},
        {"denied_vars", T::kStringArray, N::kSuperset, {}},
        {"allowed_prefixes", T::kStringArray, N::kSubset, {}},
        {"allow_list_all", T::kBool, N::kFlag, {}}}},
      {"filesystem",
       "theater:simple/filesystem",
       {{"path", T::kString, N::kInside, {}},
        {"new_dir", T::kBool, N::kFree, {}},
        {"allowed_commands", T::kStringArray, N::kSubset, {}},
        {"max_file_bytes", T::kInteger, N::kAtMost, {}},
        {"command_timeout_ms", T::kInteger, N::kAtMost, {}},
        {"max_output_bytes", T::kInteger, N::kAtMost, {}}}},
      {"http-client",
       "theater:simple/http-client",
       {{"allowed_hosts", T::kStringArray, N::kSubset, {}},
        {"allowed_methods", T::kStringArray, N::kSubsetOrDefault, {}},
        {"max_response_bytes", T::kInteger, N::kAtMost, {}},
        {"timeout_ms", T::kInteger, N::kAtMost, {}},
        {"max_redirects", T::kInteger, N::kAtMost, {}}}},
      {"http-framework",
       "theater:simple/http-framework",
       {{"max_request_bytes", T::kInteger, N::kAtMost, {}},
        {"max_connections", T::kInteger, N::kAtMost, {}},
        {"max_servers", T::kInteger, N::kAtMost, {}},
        {"header_timeout_ms", T::kInteger, N::kAtMost, {}},
        {"request_timeout_ms", T::kInteger, N::kAtMost, {}},
        {"bind_any_host", T::kBool, N::kFlag, {}},
        {"tls_dir", T::kString, N::kInside, {}}}},
      {"process",
       "theater:simple/process",
       {{"max_processes", T::kInteger, N::kAtMost, {}},
        {"max_output_buffer", T::kInteger, N::kAtMost, {}},
        {"allowed_programs", T::kStringArray, N::kSubset, {}},
        {"allowed_paths", T::kStringArray, N::kSubset, {}},
        {"allowed_env", T::kStringArray, N::kSubset, {}}}},
      // WASI 0.2 (wasmtime-wasi's, with Theater's hooks: engine/wasi.h): every wasi:*
      // interface but wasi:http (the network is http-client's). runtime/contract.cc.
      {"wasi", "", {{"allowed_vars", T::kStringArray, N::kSubset, {}}}},
  };
  return kCatalog;
}

const HandlerSpec* FindHandlerSpec(std::string_view type) {
  for (const auto& spec : HandlerCatalog())
    if (spec.type == type) return &spec;
  return nullptr;
}

const SettingSpec* HandlerSpec::Setting(std::string_view name) const {
  for (const auto& s : settings)
    if (s.name == name) return &s;
  return nullptr;
}

std::vector<std::string> HandlerSpec::SettingNames() const {
  std::vector<std::string> names;
  for (const auto& s : settings) names.push_back(s.name);
  std::sort(names.begin(), names.end());
  return names;
}

const std::vector<std::string>& TypesOnlyInterfaces() {
  static const std::vector<std::string> kTypes = {"theater:simple/types", "theater:simple/http-types",
                                                  "theater:simple/websocket-types"};
  return kTypes;
}

}  // namespace theater
