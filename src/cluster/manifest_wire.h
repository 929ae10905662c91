// A manifest and a child's permissions as they travel to the node that will run the child
// (a supervisor's spawn with `node = "..."`). The manifest goes parsed, not as a path: a
// manifest an actor named was read within its parent's reach, and the child's node must
// not read another file in its place. Its component goes as the bytes read then (or, for
// an operator's manifest, as its path, which must be the same on every node).
#pragma once

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "manifest/manifest.h"
#include "runtime/permissions.h"

namespace theater::cluster {

Result<nlohmann::ordered_json> ManifestToWire(const Manifest& manifest);
Result<Manifest> ManifestFromWire(const nlohmann::ordered_json& wire);
nlohmann::ordered_json PermissionsToWire(const Permissions& permissions);
Result<Permissions> PermissionsFromWire(const nlohmann::ordered_json& wire);

}  // namespace theater::cluster
