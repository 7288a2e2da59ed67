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
# WeasyPrint (the printed voting cards, docs/voting-cards.md) draws with the system's Pango.
if ! ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0'; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "› Pango für die PDF-Erzeugung wird installiert (apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core) …"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null) \
      || echo "! Pango konnte nicht installiert werden: Abstimmkarten (PDF) lassen sich dann nicht erzeugen."
  else
    echo "! Pango fehlt: Abstimmkarten (PDF) lassen sich nicht erzeugen. Bitte: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"
  fi
fi
PY=$(command -v python3.11 || command -v python3)
uv sync --frozen --quiet --python "$PY" "$@"
