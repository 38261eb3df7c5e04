#!/bin/sh
# Makes bench/checkout/experiments/scratch/NAME/: a copy of workflows/ with NAME.patch applied and
# its imports pointed back at the project, for
#   BENCH_WORKFLOWS_DIR=bench/checkout/experiments/scratch/NAME npm run bench:checkout
# The copy duplicates production code: .gitignore keeps it out of git; delete it when done
# (rm -r bench/checkout/experiments/scratch), so that typecheck and lint do not see it.
# NAME.patch applies to workflows/ as of the commit named in the README; 342d61a/*.patch to that commit's.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
name=${1:?usage: bench/checkout/experiments/prepare.sh NAME (one of: $(cd "$here" && ls *.patch | sed 's/\.patch$//' | tr '\n' ' '))}
root=$(cd "$here/../../.." && pwd)
out="$here/scratch/$name"
rm -rf "$out"
mkdir -p "$out/workflows"
cp "$root"/workflows/*.ts "$out/workflows/"
patch -s -p1 -d "$out" < "$here/$name.patch"
mv "$out"/workflows/*.ts "$out/" && rmdir "$out/workflows"
up=$(realpath --relative-to="$out" "$root")
sed -i "s#from '\.\./#from '$up/#g" "$out"/*.ts
echo "ready: BENCH_WORKFLOWS_DIR=bench/checkout/experiments/scratch/$name npm run bench:checkout"
