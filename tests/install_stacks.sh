#!/usr/bin/env bash
# Installs what the template's tests need: the OpenMMLab 1.x stack and the
# test tools into the active Python, and the 2.x stack (with the timm that
# the converter checks compare with) into
# .venv-openmmlab2x/ (the generations cannot share an environment: both
# install a package named mmcv). Each stack is installed by the installer of
# a project baked for it, tools/install.sh, as its users install it; the two
# installs run side by side. Extra arguments: none.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

python -m pip install --disable-pip-version-check -q \
    "$(grep '^cookiecutter==' requirements-dev.txt)"
bakes=$(mktemp -d)
trap 'rm -rf "$bakes"' EXIT
for generation in 1.x 2.x; do
    python -m cookiecutter . --no-input -o "$bakes/$generation" \
        openmmlab="$generation" >/dev/null
done

python -m venv .venv-openmmlab2x
PYTHON=.venv-openmmlab2x/bin/python bash "$bakes"/2.x/*/tools/install.sh \
    -r "$(echo "$bakes"/2.x/*/requirements/tests.txt)" \
    "$(grep '^timm==' requirements-dev.txt)" \
    >"$bakes/install-2.x.log" 2>&1 &
install_2x=$!
bash "$bakes"/1.x/*/tools/install.sh -r requirements-dev.txt
if ! wait "$install_2x"; then
    cat "$bakes/install-2.x.log"
    echo "install_stacks.sh: the OpenMMLab 2.x install failed (above)" >&2
    exit 1
fi
tail -n 1 "$bakes/install-2.x.log"
