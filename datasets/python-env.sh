#!/usr/bin/env bash
# Prints the path of a Python with numpy and pydicom, made once under .build/ (never a project dependency).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.build/datasets-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import numpy, pydicom" 2>/dev/null; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check numpy pydicom==3.0.2 >&2
fi
echo "$venv/bin/python"
