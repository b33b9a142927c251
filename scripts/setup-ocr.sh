#!/bin/sh
# Makes sure tesseract (Debian's tesseract-ocr, 5.x) and its language packs are installed: text in images
# is read by it (src/pipeline/ocr/). Idempotent and quick when they are present. Runs from `npm ci`
# (postinstall), `.ci/run` and the Dockerfile, like scripts/setup-video.sh. Installs with apt-get when it
# can (root, or passwordless sudo); otherwise it says what to install and carries on: the service then
# runs, and reports say OCR is unavailable (`ocr_tools_missing`); nothing else is affected.
# The fonts (DejaVu, Noto) are for the tests and bench/ocr.ts, which render their own text images; the
# Dockerfile's runtime stage skips them with FIRSTSEEN_OCR_FONTS=0.
# FIRSTSEEN_SKIP_OCR_SETUP=1 skips everything (the Dockerfile's build stage, which reads no image).
set -u

if [ "${FIRSTSEEN_SKIP_OCR_SETUP:-}" = "1" ]; then exit 0; fi

# The languages OCR_LANGUAGES defaults to (src/config.ts); osd is tesseract's script detector.
LANGS="eng rus ukr kaz lit ara fra spa deu osd"
packages="tesseract-ocr"
for l in $LANGS; do packages="$packages tesseract-ocr-$l"; done
if [ "${FIRSTSEEN_OCR_FONTS:-1}" = "1" ]; then packages="$packages fonts-dejavu-core fonts-noto-core"; fi

missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ] && command -v tesseract >/dev/null 2>&1; then exit 0; fi

. "$(dirname "$0")/apt-install.sh"
# shellcheck disable=SC2086 # word splitting of the package list is intended
if apt_install "reading text in images" $missing; then
  tesseract --version 2>&1 | head -n 1
  exit 0
fi
echo "setup: tesseract or its language packs are missing and not installable here: install$missing" >&2
echo "setup: (e.g. 'apt-get install$missing'). Until then reports say OCR is unavailable; nothing else is affected." >&2
exit 0
