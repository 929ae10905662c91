// The manifest an actor hands to supervisor.spawn or supervisor.resume, and the files it
// may name. A child's manifest — the file itself, its component, its init_state — may
// only name what its parent could reach: the folder of the parent's own manifest (and
// below), the directory of the parent's filesystem grant, or a store the parent may use.
// Each path is resolved by the kernel beneath one of those folders (openat2 with
// RESOLVE_BENEATH), so neither `..` nor a symbolic link leads out; a path outside all of
// them is refused before anything is touched, so the refusal does not even say whether
// the file exists. Errors about such files never quote their content.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "manifest/manifest.h"
#include "runtime/actor_context.h"
#include "runtime/permissions.h"

namespace theater::host {

// The files an actor may name in its children's manifests.
class ParentReach : public ManifestFiles {
 public:
  ParentReach(const Manifest& parent_manifest, const Permissions& parent_permissions);

  Result<UniqueFd> Open(const std::filesystem::path& path) const override;
  bool named_by_actor() const override { return true; }

  // The folders, for messages and tests.
  const std::vector<std::filesystem::path>& roots() const { return roots_; }
  // Set when the last failed Open was a refusal (outside every folder, or out through a
  // link) rather than an ordinary error: the caller records it as denied.
  bool refused() const { return refused_; }

 private:
  std::vector<std::filesystem::path> roots_;
  mutable bool refused_ = false;
};

// What `text` given to spawn names: a store:// reference (the parent must be allowed the
// store), inline TOML (when it has a line break or an `=`), or a path relative to the
// parent's manifest folder. Everything it names is read through ParentReach; a refusal is
// recorded as denied in the parent's chain.
Result<Manifest> ResolveChildManifest(ActorContext& parent, const std::string& text);

}  // namespace theater::host
