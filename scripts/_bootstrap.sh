# Shared by start-demo.sh and test.sh: find or install uv, then install the locked dependencies.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export UV_PYTHON_DOWNLOADS=never
export PATH="$HOME/.local/bin:$PATH"
if ! command -v uv >/dev/null 2>&1; then
  echo "› uv wird installiert (pip install --user uv) …"
  python3 -m pip install --user --quiet uv 2>/dev/null \
    || python3 -m pip install --user --quiet --break-system-packages uv
fi
PY=$(command -v python3.11 || command -v python3)
uv sync --frozen --quiet --python "$PY" "$@"
