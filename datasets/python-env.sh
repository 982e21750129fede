#!/usr/bin/env bash
# Prints the path of a Python with numpy, scipy and pydicom, made once under .build/ for dataset scripts and
# the tests' independent cross-checks (never a dependency of the neurospike binary).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.build/datasets-venv"
# Callers may run at the same time (parallel tests): one makes the environment, the others wait for it.
mkdir -p "$root/.build"
exec 9>"$root/.build/datasets-venv.lock"
flock 9
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import numpy, scipy, pydicom" 2>/dev/null; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check numpy scipy pydicom==3.0.2 >&2
fi
echo "$venv/bin/python"
