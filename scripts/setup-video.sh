#!/bin/sh
# Makes sure ffmpeg and ffprobe are installed: videos are decoded by them (src/pipeline/video/).
# Idempotent and quick when they are present. Runs from `npm ci` (postinstall), `.ci/run` and the
# Dockerfile. Installs Debian's ffmpeg package with apt-get when it can (root, or passwordless sudo);
# otherwise it says what to install and carries on: the service then runs, and video items fail with
# `video_tools_missing` (the worker's start-up log says so too).
# FIRSTSEEN_SKIP_VIDEO_SETUP=1 skips it (the Dockerfile's build stage, which never decodes a video).
set -u

if [ "${FIRSTSEEN_SKIP_VIDEO_SETUP:-}" = "1" ]; then exit 0; fi
if command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1; then exit 0; fi

. "$(dirname "$0")/apt-install.sh"
if apt_install "video analysis" ffmpeg; then
  ffmpeg -hide_banner -version | head -n 1
  exit 0
fi
echo "setup: ffmpeg/ffprobe not found and not installable here: install ffmpeg (e.g. 'apt-get install ffmpeg')." >&2
echo "setup: until then, videos fail with video_tools_missing; images are unaffected." >&2
exit 0
