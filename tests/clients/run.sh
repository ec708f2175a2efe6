#!/usr/bin/env bash
# Real Salesforce clients that nobody here wrote — the Salesforce CLI (`sf`), Python
# simple-salesforce and pyforce (SOAP), Node jsforce — pinned and unmodified, against
# `sfdf emulator`. Installs them itself (a virtualenv and `npm ci`, cached under
# ~/.cache/sfdf-clients) so it runs the same on a fresh machine. Each client extracts every
# Account row it can see and fails when the count differs from the org's COUNT().
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${SFDF_CLIENTS_CACHE:-$HOME/.cache/sfdf-clients}
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

echo "== installing pinned clients"
install_start=$SECONDS
mkdir -p "$cache"
if [ ! -x "$cache/venv/bin/python" ]; then python3 -m venv "$cache/venv"; fi
"$cache/venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
(cd "$here/jsforce" && npm ci --silent --no-audit --no-fund --cache "$cache/npm")
# The Salesforce CLI is pinned to the last release that runs on Node 20 (see sf/package.json).
(cd "$here/sf" && npm ci --silent --no-audit --no-fund --cache "$cache/npm")
echo "   installs took $((SECONDS - install_start)) s"

read -r http_port tls_port < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
PY
)

client_id=sfdf-clients-check
client_secret=clients-check-secret
username=integration@clients.check
password=clients-check-password

echo "== starting sfdf emulator on $http_port (http) and $tls_port (https)"
"$target/debug/sfdf" emulator --port "$http_port" --tls-port "$tls_port" --cert-out "$work/cert.pem" \
  --rows 1200 --page-rows 500 --seed 7 \
  --client-id "$client_id" --client-secret "$client_secret" \
  --username "$username" --password "$password" >"$work/emulator.log" 2>&1 &
emulator_pid=$!
for _ in $(seq 1 100); do
  if [ -s "$work/cert.pem" ] && python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $tls_port), 1)" 2>/dev/null; then break; fi
  if ! kill -0 "$emulator_pid" 2>/dev/null; then cat "$work/emulator.log"; echo "the emulator exited early"; exit 1; fi
  sleep 0.2
done

status=0
echo "== simple-salesforce"
REQUESTS_CA_BUNDLE="$work/cert.pem" "$cache/venv/bin/python" "$here/simple_salesforce_check.py" \
  --base "https://127.0.0.1:$tls_port" --client-id "$client_id" --client-secret "$client_secret" || status=1

echo "== jsforce"
node "$here/jsforce/check.cjs" "http://127.0.0.1:$http_port" "$client_id" "$client_secret" "$username" "$password" || status=1

echo "== pyforce (SOAP)"
"$cache/venv/bin/python" "$here/pyforce_check.py" \
  --base "http://127.0.0.1:$http_port" --username "$username" --password "$password" || status=1

echo "== Salesforce CLI"
# A trailing slash, as the CLI stores instance URLs itself: it then asks for //services/….
access_token=$(curl -sf "http://127.0.0.1:$http_port/services/oauth2/token" \
  -d grant_type=client_credentials -d client_id="$client_id" -d client_secret="$client_secret" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])') || status=1
python3 "$here/sf_cli_check.py" --sf "$here/sf/node_modules/.bin/sf" \
  --base "http://127.0.0.1:$http_port/" --token "${access_token:-none}" || status=1

if [ "$status" -ne 0 ]; then
  echo "== emulator log (last 40 lines)"; tail -n 40 "$work/emulator.log"
fi
exit "$status"
