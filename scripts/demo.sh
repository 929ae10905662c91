#!/usr/bin/env bash
# The main job: sets everything up, builds Theater and its example actors, runs the C
# example actor with a few messages, verifies the chain it left behind, replays it, proves
# one of its events, and runs the ping-pong pair (two actors talking through requests).

set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$here/scripts/setup.sh"
bash "$here/scripts/build.sh"
cd "$here"
echo
echo "$ build/theater run examples/greeter-c/manifest.toml --send 'hello from the demo' --request Ada --request Grace"
out="$(build/theater run examples/greeter-c/manifest.toml --send 'hello from the demo' --request Ada --request Grace)"
echo "$out"
id="$(echo "$out" | awk '$1 == "stopped" {print $2}')"
echo
echo "$ build/theater chain verify $id"
build/theater chain verify "$id"
echo
echo "$ build/theater replay $id"
build/theater replay "$id"
proof="$(mktemp)"
echo
echo "$ build/theater chain prove $id 3 --out $proof && build/theater chain verify-proof $proof"
build/theater chain prove "$id" 3 --out "$proof"
build/theater chain verify-proof "$proof"
rm -f "$proof"

echo
echo "$ build/theater run examples/ping-pong/ping.toml examples/ping-pong/pong.toml --request 'play {{pong}} 3'"
build/theater run examples/ping-pong/ping.toml examples/ping-pong/pong.toml --request 'play {{pong}} 3'
