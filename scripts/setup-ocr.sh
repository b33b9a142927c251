#!/bin/sh
# Makes sure tesseract (Debian's tesseract-ocr, 5.x) and its language packs are installed: text in images
# is read by it (src/pipeline/ocr/). Idempotent and quick when they are present. Runs from `npm ci`
# (postinstall), `.ci/run` and the Dockerfile, like scripts/setup-video.sh. Installs with apt-get when it
# can (root, or passwordless sudo); otherwise it says what to install and carries on: the service then
# runs, and reports say OCR is unavailable (`ocr_tools_missing`); nothing else is affected.
# The fonts (DejaVu, Noto) are for the tests and bench/ocr.ts, which render their own text images; the
# Dockerfile's runtime stage skips them with FIRSTSEEN_OCR_FONTS=0.
# FIRSTSEEN_SKIP_OCR_SETUP=1 skips everything (the Dockerfile's build stage, which reads no image).
# Then it builds native/tess-serve (native/tess-serve.cc against libtesseract: tesseract kept running
# between pictures, src/pipeline/ocr/engine.ts) when a compiler and the headers are there or installable;
# without it OCR runs one tesseract command per reading (slower: the models are loaded every time).
# FIRSTSEEN_OCR_BUILD=0 skips the build (the Dockerfile's runtime stage: it copies the program built in a
# stage of its own, and keeps no compiler).
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
. "$(dirname "$0")/apt-install.sh"

build_server() {
  [ "${FIRSTSEEN_OCR_BUILD:-1}" = "1" ] || return 0
  dir="$(cd "$(dirname "$0")/.." && pwd)/native"
  src="$dir/tess-serve.cc"
  bin="$dir/tess-serve"
  [ -f "$src" ] || return 0
  if [ -x "$bin" ] && [ "$bin" -nt "$src" ]; then return 0; fi
  need=""
  for p in libtesseract-dev g++ pkg-config; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need="$need $p"
  done
  # shellcheck disable=SC2086 # word splitting of the package list is intended
  if [ -n "$need" ] && ! apt_install "building native/tess-serve" $need; then
    echo "setup: native/tess-serve not built (install$need): OCR runs one tesseract command per reading." >&2
    return 0
  fi
  # tess-serve runs libtesseract's OpenMP regions itself (see the end of tess-serve.cc) only when the
  # installed library imports exactly the four GOMP_ functions it defines; any other list: libgomp's.
  own_openmp=""
  lib="$(pkg-config --variable=libdir tesseract 2>/dev/null)/libtesseract.so"
  if [ -f "$lib" ] && command -v nm >/dev/null 2>&1; then
    gomp=$(nm -D --undefined-only "$lib" | sed -n 's/.* \(GOMP_[A-Za-z_]*\).*/\1/p' | sort -u | tr '\n' ' ')
    [ "$gomp" = "GOMP_parallel GOMP_parallel_sections GOMP_sections_end_nowait GOMP_sections_next " ] &&
      own_openmp="-DTESS_SERVE_OWN_OPENMP"
  fi
  # shellcheck disable=SC2046,SC2086 # pkg-config's flags are words; own_openmp is one flag or none
  if g++ -O2 $own_openmp -o "$bin.tmp" "$src" $(pkg-config --cflags --libs tesseract lept); then
    mv "$bin.tmp" "$bin" && echo "setup: built native/tess-serve${own_openmp:+ (OpenMP regions run in its thread)}"
  else
    rm -f "$bin.tmp"
    echo "setup: native/tess-serve did not build: OCR runs one tesseract command per reading." >&2
  fi
}

if [ -z "$missing" ] && command -v tesseract >/dev/null 2>&1; then
  build_server
  exit 0
fi

# shellcheck disable=SC2086 # word splitting of the package list is intended
if apt_install "reading text in images" $missing; then
  tesseract --version 2>&1 | head -n 1
  build_server
  exit 0
fi
echo "setup: tesseract or its language packs are missing and not installable here: install$missing" >&2
echo "setup: (e.g. 'apt-get install$missing'). Until then reports say OCR is unavailable; nothing else is affected." >&2
exit 0
