#!/bin/sh
# Makes bench/checkout/experiments/NAME/: a scratch copy of workflows/ with NAME.patch applied and
# its imports pointed back at the project, for `BENCH_WORKFLOWS_DIR=bench/checkout/experiments/NAME
# npm run bench:checkout`. The copies duplicate production code: .gitignore keeps them out of git;
# delete them when done (`rm -r bench/checkout/experiments/NAME`), so typecheck and lint skip them.
# The patches were made against workflows/ at commit 342d61a.
set -eu
name=${1:?usage: bench/checkout/experiments/prepare.sh NAME (one of: $(cd "$(dirname "$0")" && ls *.patch | sed 's/\.patch$//' | tr '\n' ' '))}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
rm -rf "$here/$name"
mkdir -p "$here/$name/workflows"
cp "$root"/workflows/*.ts "$here/$name/workflows/"
patch -s -p1 -d "$here/$name" < "$here/$name.patch"
mv "$here/$name"/workflows/*.ts "$here/$name/" && rmdir "$here/$name/workflows"
sed -i "s#from '\.\./#from '../../../../#g" "$here/$name"/*.ts
echo "bench/checkout/experiments/$name is ready: BENCH_WORKFLOWS_DIR=bench/checkout/experiments/$name npm run bench:checkout"
