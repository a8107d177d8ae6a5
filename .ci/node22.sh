# Source me: puts Node >= 22.12 first on PATH. The npm registry's `node` package ships the Node 22
# binaries and headers (include/node), so native addons (better-sqlite3) build against Node 22
# offline instead of the system Node 20 headers that npm's nodedir points at.
need_major=22
need_minor=12
have=$(node -p 'process.versions.node' 2>/dev/null || echo 0.0.0)
major=${have%%.*}; rest=${have#*.}; minor=${rest%%.*}
if [ "$major" -lt "$need_major" ] || { [ "$major" -eq "$need_major" ] && [ "$minor" -lt "$need_minor" ]; }; then
  NABI_NODE_HOME=${NABI_NODE_HOME:-$HOME/.cache/nabi-node22}
  case "$(uname -m)" in aarch64|arm64) arch=arm64 ;; *) arch=x64 ;; esac
  pkg="$NABI_NODE_HOME/node_modules/node/node_modules/node-linux-$arch"
  if [ ! -x "$pkg/bin/node" ]; then
    echo "Provisioning Node 22 from the npm registry into $NABI_NODE_HOME"
    mkdir -p "$NABI_NODE_HOME"
    npm install --prefix "$NABI_NODE_HOME" --no-save --no-audit --no-fund node@22 >/dev/null
  fi
  export PATH="$pkg/bin:$PATH"
  export npm_config_nodedir="$pkg"
fi
