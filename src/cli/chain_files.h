// Finding and reading chains for the CLI: an actor id (its chain in the data directory) or
// a chain file's path.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "chain/chain_file.h"
#include "cli/commands.h"
#include "common/status.h"

namespace theater::cli {

Result<std::filesystem::path> ResolveChain(const std::string& target, const GlobalOptions& global);
// The events of a chain that verifies; an error says why it does not.
Result<std::vector<ChainEvent>> ReadVerifiedChain(const std::string& target, const GlobalOptions& global);

}  // namespace theater::cli
