// theater:simple/http-client: outgoing HTTP(S) requests with libcurl, limited to the hosts
// and methods the manifest's `http-client` handler allows (no allowed_hosts: nothing is
// allowed). Redirects are followed by hand so that every target is checked too. The
// transfer runs on its own thread (the actor's turn waits without holding a worker), and
// the whole response is recorded, so replay never touches the network.
#pragma once

#include "common/status.h"
#include "engine/engine.h"

namespace theater::host {

Status DefineHttpClientInterface(Engine& engine);

}  // namespace theater::host
