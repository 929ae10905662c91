#!/usr/bin/env bash
# The main job: sets everything up, builds Theater and its example actors, starts the
# Theater server with a small actor system on it — a supervision tree whose workers crash
# on some jobs and are restarted, and a chat room with two members talking over channels —
# and shows how to watch and drive it with the CLI and the dashboard in a browser. The
# server then keeps running in the foreground (Ctrl-C stops it; its actors come back on
# the next `theater server`).
#   DEMO_EXIT=1 bash scripts/demo.sh   # stop the server at the end instead
#   DEMO_CLUSTER=1 bash scripts/demo.sh  # two nodes over NATS instead: a supervisor on
#                                         # node a, its workers on node b (docs/cluster.md)
# The server listens on $THEATER_SERVER (default 127.0.0.1:9000), the dashboard on
# $THEATER_HTTP (default 127.0.0.1:9080); data in $THEATER_HOME (default ~/.theater).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$here/scripts/setup.sh"
bash "$here/scripts/build.sh"
cd "$here"
export THEATER_SERVER="${THEATER_SERVER:-127.0.0.1:9000}"
THEATER_HTTP="${THEATER_HTTP:-127.0.0.1:9080}"
theater="$here/build/theater"
show() { echo; echo "\$ theater $*"; "$theater" "$@"; }

if [[ "${DEMO_CLUSTER:-0}" == 1 ]]; then exec bash "$here/scripts/demo-cluster.sh"; fi

log="$(mktemp)"
"$theater" server --listen "$THEATER_SERVER" --http "$THEATER_HTTP" --fresh >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
  "$theater" info >/dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
echo "theater server running at $THEATER_SERVER (pid $server, log $log)"
echo "dashboard: http://$THEATER_HTTP/  (open it in a browser: the tree, chains, verify, replay)"

# A supervision tree: the supervisor starts two workers; a worker crashes on multiples of 3.
sup="$("$theater" start examples/supervision/supervisor.toml --json | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')"
echo; echo "\$ theater start examples/supervision/supervisor.toml"; echo "started   $sup"
show request "$sup" 'job 2'
show request "$sup" 'job 3' || true   # the worker crashes: the caller gets an error, the worker is restarted
show request "$sup" 'job 4'

# A chat room and two members who talk through channels.
room="$("$theater" start examples/chat/room.toml --json | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')"
alice="$("$theater" start examples/chat/member.toml --json | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')"
bob="$("$theater" start examples/chat/member.toml --json | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')"
show request "$alice" "join $room alice"
show request "$bob" "join $room bob"
show request "$alice" 'say hi bob'
show request "$bob" 'say hello alice'
show request "$bob" transcript

show list
worker="$("$theater" list --json | tr '{' '\n' | grep "\"parent\":\"$sup\"" | grep -v '"restarts":0' \
          | sed -n 's/.*"id":"\([^"]*\)".*/\1/p' | head -1)"
if [[ -n "$worker" ]]; then
  show status "$worker"
  show events "$worker" --from 4 --limit 6
fi
show chain verify "$room"
show info

cat <<HOW

The server keeps running. Its dashboard: http://$THEATER_HTTP/ (docs/dashboard.md).
From another terminal (THEATER_SERVER=$THEATER_SERVER):
  build/theater list                                # the actors, their status and restarts
  build/theater events $room --follow    # the room's chain as it grows
  build/theater request $sup 'job 6'     # another crash, another restart
  build/theater request $alice 'say anyone there?'
  echo hi | build/theater channel open $room --message carol   # join the room yourself
  build/theater chain verify ACTOR-ID ; build/theater replay ACTOR-ID
Ctrl-C stops the server; \`build/theater server\` brings the actors back where they were.
HOW
if [[ "${DEMO_EXIT:-0}" == 1 ]]; then exit 0; fi
trap 'rm -f "$log"' EXIT
wait $server
