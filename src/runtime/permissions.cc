#include "runtime/permissions.h"

#include <algorithm>
#include <filesystem>

#include "manifest/handler_catalog.h"

namespace theater {
namespace {

// Checks that `child` (a handler's settings) asks for no more than `parent`, setting by
// setting, as the handler catalog says each is narrowed.
Status WithinParent(const HandlerSpec& spec, const nlohmann::json& child, const nlohmann::json& parent) {
  const std::string& handler = spec.type;
  for (auto it = child.begin(); it != child.end(); ++it) {
    const std::string& key = it.key();
    const nlohmann::json& value = it.value();
    auto deny = [&](const std::string& why) {
      return Status::Error("handler `" + handler + "` setting `" + key + "`: " + why);
    };
    const SettingSpec* setting = spec.Setting(key);
    if (!setting) return deny("the handler has no such setting");
    bool parent_has = parent.contains(key);
    switch (setting->narrowing) {
      case Narrowing::kFree:
      case Narrowing::kSuperset:  // checked from the parent's side, below
        break;
      case Narrowing::kSubset:
      case Narrowing::kSubsetOrDefault:
        // Without the list the parent has nothing of that kind (no hosts, programs,
        // commands, variables or stores) to hand down; allowed_methods left out means the
        // standard methods.
        if (!parent_has) {
          if (setting->narrowing == Narrowing::kSubsetOrDefault) break;
          return deny("the parent has no `" + key + "` to grant from");
        }
        if (!value.is_array() || !parent[key].is_array()) return deny("must be a list");
        for (const auto& item : value)
          if (std::find(parent[key].begin(), parent[key].end(), item) == parent[key].end())
            return deny("`" + (item.is_string() ? item.get<std::string>() : item.dump()) + "` is not allowed to the parent");
        break;
      case Narrowing::kFlag:
        if (value.is_boolean() && value.get<bool>() &&
            !(parent_has && parent[key].is_boolean() && parent[key].get<bool>()))
          return deny("the parent does not have it");
        break;
      case Narrowing::kAtMost:
        if (parent_has && value.is_number_integer() && parent[key].is_number_integer() &&
            value.get<int64_t>() > parent[key].get<int64_t>())
          return deny("larger than the parent's " + parent[key].dump());
        break;
      case Narrowing::kInside: {
        // A parent without it has only its private directory (new_dir) or none: it cannot
        // hand a child any directory of the host (nor, without `tls_dir`, any certificate
        // folder).
        if (!parent_has) return deny("the parent has no `" + key + "` to grant a directory from");
        if (!value.is_string() || !parent[key].is_string()) return deny("must be a path");
        // Symbolic links resolved: a link inside the parent's directory may point anywhere.
        std::error_code ec;
        auto p = std::filesystem::weakly_canonical(parent[key].get<std::string>(), ec);
        if (ec) p = std::filesystem::path(parent[key].get<std::string>()).lexically_normal();
        auto c = std::filesystem::weakly_canonical(value.get<std::string>(), ec);
        if (ec) c = std::filesystem::path(value.get<std::string>()).lexically_normal();
        auto rel = c.lexically_relative(p);
        if (rel.empty() || *rel.begin() == "..") return deny("`" + c.string() + "` is outside the parent's `" + p.string() + "`");
        break;
      }
    }
  }
  // Deny lists: the child must deny at least what the parent denies.
  for (const auto& setting : spec.settings) {
    if (setting.narrowing != Narrowing::kSuperset || !parent.contains(setting.name)) continue;
    nlohmann::json denied = child.value(setting.name, nlohmann::json::array());
    for (const auto& var : parent[setting.name])
      if (std::find(denied.begin(), denied.end(), var) == denied.end())
        return Status::Error("handler `" + handler + "` setting `" + setting.name + "`: must deny `" +
                             (var.is_string() ? var.get<std::string>() : var.dump()) + "` as the parent does");
  }
  return Status::Ok();
}

}  // namespace

Permissions Permissions::FromManifest(const Manifest& manifest) {
  Permissions p;
  for (const auto& h : manifest.handlers) p.grants_[h.type] = h.settings;
  return p;
}

const nlohmann::json* Permissions::Settings(std::string_view handler) const {
  auto it = grants_.find(std::string(handler));
  return it == grants_.end() ? nullptr : &it->second;
}

Result<Permissions> Permissions::ForChild(const Permissions& parent, const std::vector<PermissionPolicy>& policies,
                                          const Manifest& child) {
  Permissions p;
  for (const auto& h : child.handlers) {
    const PermissionPolicy* policy = nullptr;
    for (const auto& pol : policies)
      if (pol.handler == h.type) policy = &pol;
    if (!parent.Allows(h.type))
      return Status::Error("the child asks for handler `" + h.type + "`, which its parent does not have");
    if (policy && policy->type == "disallow")
      return Status::Error("the parent's permission_policy disallows handler `" + h.type + "` for its children");
    nlohmann::json settings = h.settings;
    if (policy && policy->type == "restrict") {
      // The policy's settings replace what the child asked for, key by key.
      for (auto it = policy->settings.begin(); it != policy->settings.end(); ++it) settings[it.key()] = it.value();
    }
    const HandlerSpec* spec = FindHandlerSpec(h.type);
    if (!spec) return Status::Error("the child asks for handler `" + h.type + "`, which this version does not know");
    // A limit the child leaves out would be the handler's default, which may be more than
    // the parent's: it gets the parent's instead.
    const nlohmann::json& parent_settings = *parent.Settings(h.type);
    for (auto it = parent_settings.begin(); it != parent_settings.end(); ++it) {
      const SettingSpec* setting = spec->Setting(it.key());
      if (setting && setting->narrowing == Narrowing::kAtMost && !settings.contains(it.key()))
        settings[it.key()] = it.value();
    }
    THEATER_RETURN_IF_ERROR(WithinParent(*spec, settings, parent_settings));
    p.grants_[h.type] = settings;
  }
  return p;
}

}  // namespace theater
