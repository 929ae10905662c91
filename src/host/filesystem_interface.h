// theater:simple/filesystem: files in the one directory the manifest grants — `path`
// (relative to the manifest's folder; it must exist) or, with `new_dir = true`, a private
// directory <data-dir>/actors/<actor-id>/files made on first use and kept for that actor
// id. Every path is confined to it by the kernel (see filesystem_paths.h); attempts to
// leave it are refused and recorded as denied. execute-command runs only commands on
// `allowed_commands` (see filesystem_command.h). Every call and its answer is recorded,
// file contents and command output included, so replay never touches the files.
#pragma once

#include "common/status.h"
#include "engine/engine.h"

namespace theater::host {

Status DefineFilesystemInterface(Engine& engine);

}  // namespace theater::host
