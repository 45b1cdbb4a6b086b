#!/usr/bin/env bash
# The graphql-http audit (GraphQL over HTTP conformance) against a live `gatehouse serve`
# on a free local port and a throw-away SQLite file. Passes only at 61 ok, 0 warn, 0 error.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "audit-http: '$tool' is missing; install Node.js 18 or newer (Debian: apt-get install nodejs npm)" >&2
    exit 1
  fi
done

# Pinned by scripts/package-lock.json, integrity-checked, installed under scripts/node_modules.
npm ci --prefix scripts --no-audit --no-fund --loglevel=error

workdir="$(mktemp -d)"
port="$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$workdir"
}
trap cleanup EXIT

env HOST=127.0.0.1 PORT="$port" DATABASE_URL="sqlite://$workdir/audit.sqlite3" \
  ADMIN_EMAIL=audit@example.com ADMIN_PASSWORD="$(head -c 24 /dev/urandom | base64)" \
  .venv/bin/python -m gatehouse serve >"$workdir/server.log" 2>&1 &
server_pid=$!

for _ in $(seq 1 60); do
  if .venv/bin/python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/healthz', timeout=1)" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "audit-http: the server did not start:" >&2; cat "$workdir/server.log" >&2; exit 1
  fi
  sleep 0.5
done

node scripts/graphql-http-audit.mjs "http://127.0.0.1:$port/graphql"
