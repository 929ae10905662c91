// Files compiled into the theater binary, so that `theater new` writes a project that
// builds on its own, wherever Theater is installed: the WIT contract (wit/), the SDKs
// (sdk/c, sdk/cpp) and the project templates (sdk/templates/). CMake generates the
// definition from the files themselves (cmake/EmbedFiles.cmake).
#pragma once

#include <string_view>
#include <vector>

namespace theater::project {

struct EmbeddedFile {
  std::string_view path;  // relative to the source tree: "wit/actor.wit", "sdk/c/theater_actor.h"
  std::string_view contents;
};

const std::vector<EmbeddedFile>& EmbeddedFiles();

}  // namespace theater::project
