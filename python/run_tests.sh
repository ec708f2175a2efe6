#!/usr/bin/env bash
# The `sfdf` Python package: build it into a virtualenv (cached under ~/.cache/sfdf-python)
# with the pinned datafusion wheel, then run its pytest suite and docs/python.md's example
# against the emulated org, comparing with the `sfdf` CLI built by cargo.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cache=${SFDF_PYTHON_CACHE:-$HOME/.cache/sfdf-python}
# The same target dir as the rest of CI: the package's dependencies reuse its builds.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}

echo "== building the sfdf CLI (to compare with)"
(cd "$root" && cargo build --quiet --bin sfdf)

echo "== virtualenv with maturin, datafusion 55, pytest, pyarrow, pandas, polars"
mkdir -p "$cache"
if [ ! -x "$cache/venv/bin/python" ]; then python3 -m venv "$cache/venv"; fi
"$cache/venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements-dev.txt"

echo "== maturin develop (debug build of the extension into the virtualenv)"
# Editable install: python/sfdf plus the built _sfdf module (git ignores the module).
(cd "$here" && VIRTUAL_ENV="$cache/venv" "$cache/venv/bin/maturin" develop)
"$cache/venv/bin/python" -c 'import sfdf, datafusion; print("sfdf on datafusion", datafusion.__version__)'

echo "== pytest"
export SFDF_BIN="$CARGO_TARGET_DIR/debug/sfdf"
"$cache/venv/bin/python" -m pytest -q "$here/tests"
