#include "cli/chain_files.h"

#include "common/uuid.h"

namespace theater::cli {

Result<std::filesystem::path> ResolveChain(const std::string& target, const GlobalOptions& global) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(target, ec)) return std::filesystem::path(target);
  if (IsUuid(target)) {
    auto path = global.DataDir() / "chains" / (target + ".chain");
    if (std::filesystem::is_regular_file(path, ec)) return path;
    return Status::Error("no chain for actor " + target + " in " + (global.DataDir() / "chains").string());
  }
  return Status::Error("`" + target + "` is neither a chain file, an export nor an actor id");
}

std::string AskedActorId(const std::string& target) {
  std::error_code ec;
  return !std::filesystem::is_regular_file(target, ec) && IsUuid(target) ? target : "";
}

Result<VerifiedChain> ReadVerifiedChainImage(const std::string& target, const GlobalOptions& global) {
  auto path = ResolveChain(target, global);
  if (!path.ok()) return path.status();
  return ReadVerifiedChain(*path, AskedActorId(target));
}

std::filesystem::path SigningKeyPath(const GlobalOptions& global) { return global.DataDir() / "keys" / "checkpoint.key"; }
std::filesystem::path PublicKeyPath(const GlobalOptions& global) { return global.DataDir() / "keys" / "checkpoint.pub"; }

}  // namespace theater::cli
