#!/usr/bin/env bash
# Delta tables written by `sfdf sync`, read by another Delta reader: Python's `deltalake`
# (pinned, installed here in a virtualenv cached under ~/.cache/sfdf-delta), as a user would.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${SFDF_DELTA_CACHE:-$HOME/.cache/sfdf-delta}
target=${CARGO_TARGET_DIR:-$root/target}
work=$(mktemp -d)
emulator_pid=""

cleanup() {
  if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== building sfdf"
(cd "$root" && cargo build --quiet --bin sfdf)

echo "== installing the pinned Python Delta reader"
mkdir -p "$cache"
if [ ! -x "$cache/venv/bin/python" ]; then python3 -m venv "$cache/venv"; fi
"$cache/venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
client_id=sfdf-delta-check
client_secret=delta-check-secret
"$target/debug/sfdf" emulator --port "$port" --rows 800 --seed 5 \
  --client-id "$client_id" --client-secret "$client_secret" >"$work/emulator.log" 2>&1 &
emulator_pid=$!
for _ in $(seq 1 100); do
  if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null; then break; fi
  if ! kill -0 "$emulator_pid" 2>/dev/null; then cat "$work/emulator.log"; echo "the emulator exited early"; exit 1; fi
  sleep 0.2
done

cat >"$work/conn.yaml" <<YAML
connection_name: Delta check
developer_name: delta_check
domain_url: http://127.0.0.1:$port
client_id: $client_id
client_secret: $client_secret
api_type: rest
api_version: "62.0"
objects:
  Account: {}
  Contact:
    fields: [Id, FirstName, LastName, Email, AccountId]
YAML

echo "== sfdf sync (full, then incremental)"
"$target/debug/sfdf" sync "$work/conn.yaml" --target "$work/synced"
"$target/debug/sfdf" sync "$work/conn.yaml" --target "$work/synced"

echo "== Python deltalake reads the tables"
"$cache/venv/bin/python" "$here/read_synced.py" "$work/synced" delta_check \
  "http://127.0.0.1:$port" "$client_id" "$client_secret"
