// What an actor may use: the handlers (capabilities) it was granted, with their settings.
// A root actor has what its manifest grants. A child gets what its manifest asks for, but
// never more than its parent has, narrowed by the parent's [permission_policy.<handler>]:
//   inherit  (default) the child may have the handler, with settings no broader than the
//            parent's (lists: a subset; paths: inside the parent's; numbers: no larger;
//            flags: only if the parent has them)
//   disallow the child may not have the handler
//   restrict the child gets the handler only with the policy's settings, which must
//            themselves be within the parent's
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "manifest/manifest.h"

namespace theater {

class Permissions {
 public:
  // What a root actor's manifest grants.
  static Permissions FromManifest(const Manifest& manifest);
  // What a child of `parent` gets (an error names the handler and why).
  static Result<Permissions> ForChild(const Permissions& parent, const std::vector<PermissionPolicy>& policies,
                                      const Manifest& child);

  // Grants as they were computed on another node (for a child it runs there).
  static Permissions FromGrants(std::map<std::string, nlohmann::json> grants) {
    Permissions p;
    p.grants_ = std::move(grants);
    return p;
  }

  bool Allows(std::string_view handler) const { return grants_.count(std::string(handler)) > 0; }
  const nlohmann::json* Settings(std::string_view handler) const;
  const std::map<std::string, nlohmann::json>& grants() const { return grants_; }

 private:
  std::map<std::string, nlohmann::json> grants_;  // handler type -> settings
};

}  // namespace theater
