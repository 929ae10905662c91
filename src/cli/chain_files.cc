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

std::string FirstProblem(const ChainVerification& v) {
  if (!v.chain.ok)
    return "event " + std::to_string(v.chain.bad_seq.value_or(v.chain.events)) + ": " + v.chain.reason;
  if (!v.problems.empty()) return v.problems.front();
  if (v.snapshots && !v.snapshots->ok)
    return "event " + std::to_string(v.snapshots->bad_seq.value_or(0)) + ": " + v.snapshots->reason;
  if (v.checkpoints && !v.checkpoints->ok) return v.checkpoints->reason;
  return "";
}

Result<VerifiedChain> ReadVerifiedChainImage(const std::string& target, const GlobalOptions& global) {
  auto path = ResolveChain(target, global);
  if (!path.ok()) return path.status();
  auto image = ReadChainImage(*path);
  if (!image.ok()) return image.status();
  VerifiedChain out;
  VerifyOptions options;
  options.expected_actor_id = AskedActorId(target);
  ChainVerification v = VerifyChainImage(*image, options, &out.events);
  if (!v.ok()) return Status::Error(path->string() + " does not verify: " + FirstProblem(v));
  auto snapshots = OpenSnapshots(*image);
  if (!snapshots.ok()) return snapshots.status();
  out.snapshots = std::move(*snapshots);
  out.image = std::move(*image);
  return out;
}

std::filesystem::path SigningKeyPath(const GlobalOptions& global) { return global.DataDir() / "keys" / "checkpoint.key"; }
std::filesystem::path PublicKeyPath(const GlobalOptions& global) { return global.DataDir() / "keys" / "checkpoint.pub"; }

}  // namespace theater::cli
