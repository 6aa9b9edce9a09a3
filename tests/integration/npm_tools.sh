# Sourced by the integration tests: installs the pinned validators of package.json
# into NPM_DIR (a cache in the build directory) once, and sets TOOLS to its
# node_modules. Without npm the test is skipped (ctest status 77) with a reason.
npm_tools() {
  local dir=$1 src=$2
  if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
    echo "SKIP: npm and node are needed for this test (bash .ci/deps installs them)"
    exit 77
  fi
  mkdir -p "$dir"
  (
    flock 9
    if ! cmp -s "$src/package.json" "$dir/package.json" || [ ! -d "$dir/node_modules/ajv" ]; then
      cp "$src/package.json" "$dir/package.json"
      echo "installing the validators into $dir"
      (cd "$dir" && npm install --no-audit --no-fund --loglevel=error >npm.log 2>&1) || { cat "$dir/npm.log"; exit 1; }
    fi
  ) 9>"$dir/.lock" || exit 1
  TOOLS="$dir/node_modules"
  SARIF_SCHEMA=$(find "$TOOLS/@microsoft" -name 'sarif-2.1.0.json' | head -n 1)
  [ -n "$SARIF_SCHEMA" ] || { echo "FAIL: no sarif-2.1.0.json in $TOOLS/@microsoft"; exit 1; }
}
