#!/usr/bin/env bash
# What the browser test of `spc annotate` needs, on top of scripts/setup.sh: Debian's headless Chromium and
# its driver (apt; nothing downloads a browser), and the [annotate] extra (gradio) + Selenium in .venv.
# Run as root (CI containers) or with sudo available.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    SUDO=""
    [ "$(id -u)" = "0" ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver
fi
. .venv/bin/activate
pip install -q -e ".[annotate]" "selenium>=4.20"
