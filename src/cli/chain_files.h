// Finding and reading chains for the CLI: an actor id (its chain in the data directory), a
// chain file's path, or an export's path; and where the data directory keeps the key that
// signs checkpoints.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "chain/chain_image.h"
#include "cli/commands.h"
#include "common/status.h"

namespace theater::cli {

Result<std::filesystem::path> ResolveChain(const std::string& target, const GlobalOptions& global);
// The actor id `target` asks for when ResolveChain finds it by id, else "": the chain
// found must then be that actor's, not only a file named after it.
std::string AskedActorId(const std::string& target);

// A chain (file or export) that verifies, with its checkpoints and the snapshots of every
// state it names; an error says why it does not.
Result<VerifiedChain> ReadVerifiedChainImage(const std::string& target, const GlobalOptions& global);

// <data dir>/keys/checkpoint.key (PEM, private) and checkpoint.pub beside it.
std::filesystem::path SigningKeyPath(const GlobalOptions& global);
std::filesystem::path PublicKeyPath(const GlobalOptions& global);

}  // namespace theater::cli
