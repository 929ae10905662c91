// Files compiled into the theater binary: the WIT contract (wit/), the SDKs (sdk/) and the
// project templates (sdk/templates/), so that `theater new` writes a project that builds
// on its own wherever Theater is installed; and the dashboard's page (web/), so that it
// works offline with nothing beside the binary. CMake generates the definition from the
// files themselves (cmake/EmbedFiles.cmake).
#pragma once

#include <string_view>
#include <vector>

namespace theater {

struct EmbeddedFile {
  std::string_view path;  // relative to the source tree: "wit/actor.wit", "sdk/c/theater_actor.h"
  std::string_view contents;
};

const std::vector<EmbeddedFile>& EmbeddedFiles();

}  // namespace theater
