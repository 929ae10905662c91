#!/usr/bin/env bash
# DEMO_CLUSTER=1 bash scripts/demo.sh: a cluster of two Theater servers over NATS, on this
# machine (docs/cluster.md). It starts Debian's nats-server with a fresh token, node a
# (with the dashboard) and node b, then a supervisor on node a whose workers run on node b:
# a worker crashes on node b, the supervisor on node a hears it and the worker is restarted
# on node b. Setup and build are done by demo.sh. The nodes keep running in the foreground
# (Ctrl-C stops them all); DEMO_EXIT=1 stops them at the end.
#   THEATER_SERVER (127.0.0.1:9000)  node a      THEATER_SERVER_B (127.0.0.1:9001)  node b
#   THEATER_HTTP (127.0.0.1:9080)    dashboard   THEATER_NATS (127.0.0.1:4222)      NATS
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
theater="$here/build/theater"
export THEATER_SERVER="${THEATER_SERVER:-127.0.0.1:9000}"
node_b="${THEATER_SERVER_B:-127.0.0.1:9001}"
http="${THEATER_HTTP:-127.0.0.1:9080}"
nats="${THEATER_NATS:-127.0.0.1:4222}"
home="${THEATER_HOME:-$HOME/.theater}"
THEATER_CLUSTER_TOKEN="$(openssl rand -hex 16)"
export THEATER_CLUSTER_TOKEN
show() { echo; echo "\$ theater $*"; "$theater" "$@"; }

work="$(mktemp -d)"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
nats-server -a "${nats%:*}" -p "${nats##*:}" --auth "$THEATER_CLUSTER_TOKEN" >"$work/nats.log" 2>&1 &
pids+=($!)
"$theater" --data-dir "$home/node-a" server --listen "$THEATER_SERVER" --http "$http" --fresh \
  --cluster "nats://$nats" --node a >"$work/a.log" 2>&1 &
pids+=($!)
"$theater" --data-dir "$home/node-b" server --listen "$node_b" --fresh --cluster "nats://$nats" --node b \
  >"$work/b.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  "$theater" info --server "$THEATER_SERVER" 2>/dev/null | grep -q '"name":"b","alive":true' && break
  sleep 0.1
done
"$theater" info --server "$THEATER_SERVER" 2>/dev/null | grep -q '"name":"b","alive":true' ||
  { echo "the cluster did not come up:"; cat "$work"/*.log; exit 1; }
echo "node a at $THEATER_SERVER (dashboard http://$http/), node b at $node_b, NATS at $nats"

# The supervision example, with its workers' manifest asking for node b.
cp examples/supervision/supervisor.toml examples/supervision/supervisor.wasm examples/supervision/worker.wasm "$work/"
sed 's/^version = .*/&\nnode = "b"                   # this worker runs on node b/' examples/supervision/worker.toml \
  >"$work/worker.toml"
sup="$("$theater" start "$work/supervisor.toml" --json | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')"
echo; echo "\$ theater start supervisor.toml        # on node a; worker.toml says node = \"b\""; echo "started   $sup"
for _ in $(seq 50); do  # its init spawns the two workers on node b
  [[ "$("$theater" list | grep -c ' worker ')" -ge 2 ]] && break
  sleep 0.1
done
show list                                   # the workers run on node b
show request "$sup" 'job 2'
show request "$sup" 'job 3' || true         # a worker crashes on node b and is restarted there
show request "$sup" 'job 4'
show list
show info
cat <<HOW

The two nodes keep running; node a's dashboard: http://$http/.
From another terminal (THEATER_CLUSTER_TOKEN is not needed by clients):
  build/theater list --server $THEATER_SERVER           # every node's actors, with their node
  build/theater request --server $node_b $sup 'job 6'   # ask node b: it reaches node a
Ctrl-C stops the cluster.
HOW
if [[ "${DEMO_EXIT:-0}" == 1 ]]; then exit 0; fi
wait "${pids[1]}"
