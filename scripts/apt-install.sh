#!/bin/sh
# Sourced by scripts/setup-*.sh: `apt_install WHAT PACKAGE...` installs Debian packages with apt-get
# when it can (root, or passwordless sudo) and returns 0; otherwise it returns 1 and the caller says
# what to install and carries on (the service runs without the tool; what needs it fails with a code).
apt_install() {
  what="$1"
  shift
  command -v apt-get >/dev/null 2>&1 || return 1
  if [ "$(id -u)" = "0" ]; then
    as_root=""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root="sudo -n"
  else
    return 1
  fi
  echo "setup: installing $* (Debian packages) for $what"
  export DEBIAN_FRONTEND=noninteractive
  if $as_root apt-get update -qq && $as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null; then
    return 0
  fi
  echo "setup: apt-get could not install $*" >&2
  return 1
}
