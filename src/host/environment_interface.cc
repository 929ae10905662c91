#include "host/environment_interface.h"

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/host_binding.h"

extern char** environ;

namespace theater::host {
namespace {

constexpr char kEnvironment[] = "theater:simple/environment";

using Args = std::vector<Value>;
using Out = Result<std::optional<Value>>;

bool Contains(const nlohmann::json& list, const std::string& name) {
  if (!list.is_array()) return false;
  return std::any_of(list.begin(), list.end(), [&](const nlohmann::json& item) { return item == name; });
}

bool HasPrefixIn(const nlohmann::json& prefixes, const std::string& name) {
  if (!prefixes.is_array()) return false;
  return std::any_of(prefixes.begin(), prefixes.end(), [&](const nlohmann::json& p) {
    const std::string& prefix = p.get_ref<const std::string&>();
    return name.compare(0, prefix.size(), prefix) == 0;
  });
}

// Why `name` is hidden from the actor, or nullopt when it may see it.
std::optional<std::string> WhyHidden(const ActorContext& actor, const std::string& name) {
  static const nlohmann::json kNone = nlohmann::json::object();
  const nlohmann::json* found = actor.permissions().Settings("environment");
  const nlohmann::json& s = found ? *found : kNone;
  // getenv cannot even ask for such a name: it would look up a different variable.
  if (name.empty() || name.find('\0') != std::string::npos || name.find('=') != std::string::npos)
    return "`" + name.substr(0, name.find('\0')) + "` is not a valid variable name (empty, or with `=` or a NUL byte)";
  if (Contains(s.value("denied_vars", nlohmann::json::array()), name))
    return "variable `" + name + "` is in denied_vars";
  if (Contains(s.value("allowed_vars", nlohmann::json::array()), name) ||
      HasPrefixIn(s.value("allowed_prefixes", nlohmann::json::array()), name))
    return std::nullopt;
  return "variable `" + name + "` is not in allowed_vars and has none of allowed_prefixes";
}

// The variable's value as the actor sees it: host values need not be UTF-8, strings must be.
std::optional<std::string> Lookup(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (!value) return std::nullopt;
  return ToValidUtf8(value);
}

// The value of a variable the actor may see; a hidden one is absent, and the call is
// recorded as denied.
std::optional<std::string> VisibleValue(ActorContext& actor, const std::string& name) {
  if (auto why = WhyHidden(actor, name)) {
    actor.Deny(*why);
    return std::nullopt;
  }
  return Lookup(name);
}

Out ListVars(ActorContext& actor, Args&) {
  const nlohmann::json* s = actor.permissions().Settings("environment");
  if (!s || !s->value("allow_list_all", false)) {
    actor.Deny("listing the environment needs allow_list_all = true");
    return std::optional<Value>(Value::List({}));
  }
  // Only what the actor could ask for by name: allow_list_all grants the listing, not
  // more variables.
  std::vector<std::pair<std::string, std::string>> visible;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view text(*entry);
    size_t eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    std::string name(text.substr(0, eq));
    if (WhyHidden(actor, name)) continue;
    visible.emplace_back(ToValidUtf8(name), ToValidUtf8(text.substr(eq + 1)));
  }
  std::sort(visible.begin(), visible.end());  // the same environment lists the same way
  ValueList items;
  for (auto& [name, value] : visible)
    items.push_back(Value::Tuple({Value::String(std::move(name)), Value::String(std::move(value))}));
  return std::optional<Value>(Value::List(std::move(items)));
}

}  // namespace

Status DefineEnvironmentInterface(Engine& engine) {
  THEATER_RETURN_IF_ERROR(DefineActorFunction(
      engine, kEnvironment, "get-var", "func(string) -> option<string>", [](ActorContext& a, Args& args) -> Out {
        auto value = VisibleValue(a, args.at(0).as_string());
        return std::optional<Value>(value ? Value::Some(Value::String(std::move(*value))) : Value::None());
      }));
  THEATER_RETURN_IF_ERROR(
      DefineActorFunction(engine, kEnvironment, "list-vars", "func() -> list<tuple<string, string>>", ListVars));
  return DefineActorFunction(engine, kEnvironment, "exists", "func(string) -> bool",
                             [](ActorContext& a, Args& args) -> Out {
                               return std::optional<Value>(Value(VisibleValue(a, args.at(0).as_string()).has_value()));
                             });
}

}  // namespace theater::host
