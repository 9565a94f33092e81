#!/usr/bin/env bash
# Screenshot comparison.html in headless Chromium (Debian: apt-get install chromium), e.g.
#   docs/screenshot.sh results/report/comparison.html docs/comparison-html.png
# The page stands alone (figures embedded), so the file:// URL is all Chromium needs.
set -euo pipefail
HTML=${1:-results/report/comparison.html}
PNG=${2:-docs/comparison-html.png}
WIDTH=${WIDTH:-1400}
HEIGHT=${HEIGHT:-4700}
[ -f "$HTML" ] || { echo "screenshot.sh: no such file: $HTML" >&2; exit 1; }
BROWSER=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$BROWSER" ] || { echo "screenshot.sh: no Chromium found (apt-get install chromium)" >&2; exit 1; }
mkdir -p "$(dirname "$PNG")"
"$BROWSER" --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
  --window-size="$WIDTH,$HEIGHT" --screenshot="$(realpath -m "$PNG")" \
  "file://$(realpath "$HTML")" 2>/dev/null
echo "wrote $PNG"
