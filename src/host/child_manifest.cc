#include "host/child_manifest.h"

#include <fcntl.h>

#include "host/filesystem_paths.h"
#include "host/store_interface.h"
#include "storage/content_store.h"

namespace theater::host {

ParentReach::ParentReach(const Manifest& parent_manifest, const Permissions& parent_permissions) {
  std::filesystem::path base = parent_manifest.base_dir;
  if (base.empty()) base = std::filesystem::absolute(parent_manifest.file).parent_path();
  roots_.push_back(base.lexically_normal());
  if (const nlohmann::json* fs = parent_permissions.Settings("filesystem"); fs && fs->contains("path"))
    if ((*fs)["path"].is_string()) roots_.push_back(std::filesystem::path((*fs)["path"].get<std::string>()).lexically_normal());
}

Result<UniqueFd> ParentReach::Open(const std::filesystem::path& path) const {
  refused_ = false;
  for (const auto& root : roots_) {
    std::filesystem::path relative = path.lexically_normal().lexically_relative(root);
    if (relative.empty() || *relative.begin() == "..") continue;
    auto dir = fs::ConfinedDir::Open(root);
    if (!dir.ok()) return dir.status();
    auto fd = dir->OpenBeneath(relative.string(), O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (fd.ok()) return std::move(*fd);
    refused_ = fd.error().denied;
    return Status::Error(root.string() + ": " + fd.error().message);
  }
  refused_ = true;
  std::string folders;
  for (const auto& root : roots_) folders += (folders.empty() ? "" : " or ") + root.string();
  return Status::Error("`" + fs::Shown(path.string()) + "` is outside what this actor may reach (" + folders + ")");
}

namespace {

// Inline TOML when it has a line break or an `=`, else a path.
bool IsInlineManifest(const std::string& text) {
  return text.find('\n') != std::string::npos || text.find('=') != std::string::npos;
}

Result<Manifest> Resolve(ActorContext& parent, const std::string& text, const ParentReach& reach) {
  std::filesystem::path base = reach.roots().front();
  if (IsStoreReference(text)) {
    // Reading a manifest from a store is reading the store: the parent must be allowed it.
    auto ref = ParseStoreReference(text);
    if (!ref.ok()) return ref.status();
    auto store = OpenGrantedStore(parent, ref->store_id);
    if (!store.ok()) return Status::Error(text + ": " + store.error());
    auto bytes = (*store)->Read(text);
    if (!bytes.ok()) return bytes.status();
    // Relative paths in it are taken from the parent's folder (a store has no folders).
    return ParseManifest(ToString(*bytes), base, text, &reach);
  }
  if (IsInlineManifest(text)) return ParseManifest(text, base, "inline manifest", &reach);
  std::filesystem::path path = text;
  return LoadManifest(path.is_absolute() ? path : base / path, &reach);
}

}  // namespace

Result<Manifest> ResolveChildManifest(ActorContext& parent, const std::string& text) {
  ParentReach reach(parent.manifest(), parent.permissions());
  auto manifest = Resolve(parent, text, reach);
  if (!manifest.ok()) {
    if (reach.refused()) parent.Deny(manifest.error());
    return manifest;
  }
  // A component in a store: the parent must be allowed that store too.
  if (IsStoreReference(manifest->component)) {
    auto ref = ParseStoreReference(manifest->component);
    if (!ref.ok()) return Status::Error(manifest->file.string() + ": field `component`: " + ref.error());
    auto store = OpenGrantedStore(parent, ref->store_id);
    if (!store.ok()) return Status::Error(manifest->file.string() + ": field `component`: " + store.error());
  }
  return manifest;
}

}  // namespace theater::host
