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
  return Status::Error("`" + target + "` is neither a chain file nor an actor id");
}

Result<std::vector<ChainEvent>> ReadVerifiedChain(const std::string& target, const GlobalOptions& global) {
  auto path = ResolveChain(target, global);
  if (!path.ok()) return path.status();
  std::vector<ChainEvent> events;
  VerifyReport report = VerifyChainFile(*path, &events);
  if (!report.ok)
    return Status::Error(path->string() + " does not verify: event " +
                         std::to_string(report.bad_seq.value_or(report.events)) + ": " + report.reason);
  return events;
}

}  // namespace theater::cli
