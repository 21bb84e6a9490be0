#!/usr/bin/env bash
# Everything a fresh Debian/Ubuntu machine needs for `make run` and `make test`:
# system packages, the virtualenv with the package, Asterisk (system or sandbox), prompts.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv

need=()
command -v sipp >/dev/null || need+=(sip-tester)
command -v espeak-ng >/dev/null || need+=(espeak-ng)
command -v sox >/dev/null || need+=(sox)
dpkg -s libsox-fmt-mp3 >/dev/null 2>&1 || need+=(libsox-fmt-mp3)  # gTTS speaks MP3
# The dashboard's browser tests drive the system Chromium (no browser downloads here).
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
# debootstrap builds the sandbox Asterisk when no system Asterisk 20+ is installed; its
# default folder is asterisk.sandbox_dir's (ivr/config.py): /var/cache for root.
if [ "$(id -u)" -eq 0 ]; then sandbox=/var/cache/hajj-ivr/asterisk-sid
else sandbox=$HOME/.cache/hajj-ivr/asterisk-sid; fi
[ -x "${HAJJ_IVR_ASTERISK_SANDBOX_DIR:-$sandbox}/usr/sbin/asterisk" ] \
  || command -v debootstrap >/dev/null || need+=(debootstrap)
# The store tests' private PostgreSQL (tests/rig/postgres.py: initdb, pg_ctl); Debian keeps
# them in /usr/lib/postgresql/<version>/bin.
command -v initdb >/dev/null || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null \
  || need+=(postgresql)
# Kamailio is the cluster's SIP front door (ivr/cluster/kamailio.py; tests/rig/kamailio.py
# runs a private one in the foreground): the dispatcher and its OPTIONS probing ship in the
# main package, kamcmd too.
command -v kamailio >/dev/null || need+=(kamailio)
"$PY" -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing system packages: ${need[*]}" >&2
    echo "setup: run as root, or: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian's package enables a systemd kamailio service on port 5060 (the SysV script keeps
# RUN_KAMAILIO=no), which would take the port a cluster's front door or a SIP test wants:
# only private ones run here, so a kamailio this script installed is stopped and disabled.
if [[ " ${need[*]} " == *" kamailio "* ]] && [ -d /run/systemd/system ]; then
  systemctl disable --now kamailio >/dev/null 2>&1 || true
fi

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
if [ ! -f "$VENV/.installed" ] || [ pyproject.toml -nt "$VENV/.installed" ]; then
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q -e '.[dev,tts]'
  touch "$VENV/.installed"
fi

# Also creates the system user Asterisk runs as when started as root (asterisk.run_user).
"$VENV/bin/hajj-ivr" asterisk install
"$VENV/bin/hajj-ivr" prompts build
"$VENV/bin/hajj-ivr" data sample --if-empty --show 0
"$VENV/bin/hajj-ivr" phone setup  # SIP.js for the console, the local certificate
