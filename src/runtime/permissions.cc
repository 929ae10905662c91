#include "runtime/permissions.h"

#include <algorithm>
#include <filesystem>

namespace theater {
namespace {

// Checks that `child` (a handler's settings) asks for no more than `parent`.
Status WithinParent(const std::string& handler, const nlohmann::json& child, const nlohmann::json& parent) {
  for (auto it = child.begin(); it != child.end(); ++it) {
    const std::string& key = it.key();
    const nlohmann::json& value = it.value();
    auto deny = [&](const std::string& why) {
      return Status::Error("handler `" + handler + "` setting `" + key + "`: " + why);
    };
    bool parent_has = parent.contains(key);
    if (key == "denied_vars") {
      // The child must deny at least what the parent denies (checked below).
      continue;
    }
    if (value.is_array()) {
      // Allow lists: without one the parent has nothing of that kind (no hosts, programs,
      // commands, variables or stores), so it has nothing to hand down. Only
      // allowed_methods means "the standard methods" when left out.
      if (!parent_has) {
        if (key == "allowed_methods") continue;
        return deny("the parent has no `" + key + "` to grant from");
      }
      for (const auto& item : value)
        if (std::find(parent[key].begin(), parent[key].end(), item) == parent[key].end())
          return deny("`" + item.get<std::string>() + "` is not allowed to the parent");
    } else if (value.is_boolean()) {
      if (value.get<bool>() && key != "new_dir" && !(parent_has && parent[key].get<bool>()))
        return deny("the parent does not have it");
    } else if (value.is_number_integer()) {
      if (key == "seed") continue;
      if (parent_has && value.get<int64_t>() > parent[key].get<int64_t>())
        return deny("larger than the parent's " + parent[key].dump());
    } else if (value.is_string() && (key == "path" || key == "tls_dir")) {
      // A parent without `path` has only its private directory (new_dir) or none: it
      // cannot hand a child any directory of the host (nor, without `tls_dir`, any
      // certificate folder).
      if (!parent_has) return deny("the parent has no `" + key + "` to grant a directory from");
      // Symbolic links resolved: a link inside the parent's directory may point anywhere.
      std::error_code ec;
      auto p = std::filesystem::weakly_canonical(parent[key].get<std::string>(), ec);
      if (ec) p = std::filesystem::path(parent[key].get<std::string>()).lexically_normal();
      auto c = std::filesystem::weakly_canonical(value.get<std::string>(), ec);
      if (ec) c = std::filesystem::path(value.get<std::string>()).lexically_normal();
      auto rel = c.lexically_relative(p);
      if (rel.empty() || *rel.begin() == "..") return deny("`" + c.string() + "` is outside the parent's `" + p.string() + "`");
    }
  }
  if (parent.contains("denied_vars")) {
    nlohmann::json denied = child.value("denied_vars", nlohmann::json::array());
    for (const auto& var : parent["denied_vars"])
      if (std::find(denied.begin(), denied.end(), var) == denied.end())
        return Status::Error("handler `" + handler + "` setting `denied_vars`: must deny `" + var.get<std::string>() +
                             "` as the parent does");
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
    // A numeric limit the child leaves out would be the handler's default, which may be
    // more than the parent's: it gets the parent's instead (a seed is not a limit).
    const nlohmann::json& parent_settings = *parent.Settings(h.type);
    for (auto it = parent_settings.begin(); it != parent_settings.end(); ++it)
      if (it.value().is_number_integer() && it.key() != "seed" && !settings.contains(it.key()))
        settings[it.key()] = it.value();
    THEATER_RETURN_IF_ERROR(WithinParent(h.type, settings, parent_settings));
    p.grants_[h.type] = settings;
  }
  return p;
}

}  // namespace theater
