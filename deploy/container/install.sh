#!/bin/sh
# The container image's build steps, as a script: the Dockerfile runs exactly this, and CI runs it
# without a container engine (tests/scenario/test_deploy.py, .ci/run), so the two cannot drift apart.
#
#   deploy/container/install.sh PREFIX [SOURCE]
#
# 1. a virtual environment at PREFIX (the image copies only this directory to its final stage);
# 2. noc-chatops installed into it from SOURCE (default: the current directory), built as a wheel;
#    extra pip options come from $NOC_PIP_OPTIONS (CI's quick check: --no-deps with the
#    dependencies already on PYTHONPATH);
# 3. checks on the installed package, not the source tree: the shipped router model is inside and
#    was built from the shipped examples, `noc --version` runs, and a question is routed on an
#    empty cache without training anything (a container's first question must not pay for it).
set -eu

prefix=${1:?usage: install.sh PREFIX [SOURCE]}
source_dir=${2:-.}
python=${PYTHON:-python3}

"$python" -m venv "$prefix"
# shellcheck disable=SC2086 # NOC_PIP_OPTIONS is a list of options
"$prefix/bin/pip" install --no-cache-dir --disable-pip-version-check ${NOC_PIP_OPTIONS:-} "$source_dir"

check_dir=$(mktemp -d)
trap 'rm -rf "$check_dir"' EXIT
cd "$check_dir"  # away from the source tree: what runs below is the installed package
"$prefix/bin/python" -m agents.router --check
"$prefix/bin/noc" --version
NOC_CACHE_DIR="$check_dir/cache" "$prefix/bin/noc" route "why is the branch office slow?" >"$check_dir/route.txt"
grep -q "^primary: performance" "$check_dir/route.txt"
if [ -e "$check_dir/cache" ]; then
    echo "install.sh: the router trained on a fresh install (the shipped model was not used)" >&2
    exit 1
fi
echo "install.sh: noc-chatops installed in $prefix and checked"
