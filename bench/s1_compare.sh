#!/bin/bash
# S1 (a keyed `{ me { id email } }`) on two checkouts in one run, in interleaved rounds that
# alternate which goes first: `bench/s1_compare.sh BASE_CHECKOUT [HEAD_CHECKOUT]` (each with
# its own .venv; HEAD defaults to this checkout). Each server gets a fresh SQLite file, one
# process, production mode, on core 0; wrk on core 1. Prints req/s per round and server;
# compare medians and per-round ratios. ROUNDS (8) and SECS (5) per measurement.
set -e
BASE=${1:?usage: bench/s1_compare.sh BASE_CHECKOUT [HEAD_CHECKOUT]}
HEAD=${2:-$(cd "$(dirname "$0")/.." && pwd)}
ROUNDS=${ROUNDS:-8}; SECS=${SECS:-5}
work=$(mktemp -d)
start() { # name dir port
  mkdir -p $work/$1
  (cd $work/$1 && env -i PATH=$PATH PYTHONPATH=$2 GATEHOUSE_ENV=production DATABASE_URL=sqlite://$work/$1/db.sqlite3 \
     ADMIN_EMAIL=bench@example.com ADMIN_PASSWORD='the admin of a load test' PORT=$3 LOG_LEVEL=warning \
     taskset -c 0 $2/.venv/bin/python -m gatehouse serve > $work/$1/log 2>&1 & echo $! > $work/$1/pid)
  for i in $(seq 60); do curl -s localhost:$3/healthz >/dev/null && break; sleep 0.5; done
  token=$(curl -s localhost:$3/graphql -H 'content-type: application/json' -d '{"query":"mutation { login(email: \"bench@example.com\", password: \"the admin of a load test\") { token } }"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["login"]["token"])')
  curl -s localhost:$3/graphql -H 'content-type: application/json' -H "Authorization: Bearer $token" -d '{"query":"mutation { createApiKey(input: {name: \"bench\", scopes: [READ]}) { secret } }"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["createApiKey"]["secret"])' > $work/$1/secret
}
start base $BASE 18101
start head $HEAD 18102
for name in base head; do
cat > $work/$name/s1.lua <<LUA
wrk.method = "POST"
wrk.body = '{"query":"{ me { id email } }"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = "$(cat $work/$name/secret)"
LUA
done
# warm up
for p in base:18101 head:18102; do taskset -c 1 wrk -t1 -c32 -d3s -s $work/${p%%:*}/s1.lua http://localhost:${p##*:}/graphql >/dev/null; done
for r in $(seq $ROUNDS); do
  order="base:18101 head:18102"; [ $((r % 2)) = 0 ] && order="head:18102 base:18101"
  for p in $order; do
    n=${p%%:*}
    rps=$(taskset -c 1 wrk -t1 -c32 -d${SECS}s --latency -s $work/$n/s1.lua http://localhost:${p##*:}/graphql | awk '/Requests\/sec/ {print $2}')
    echo "round $r $n $rps"
  done
done
for port in 18101 18102; do
  pid=$(ss -ltnp | grep ":$port " | sed -E 's/.*pid=([0-9]+).*/\1/')
  [ -n "$pid" ] && kill $pid
done
