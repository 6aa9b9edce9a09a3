#!/usr/bin/env bash
# Prints the first fenced code block after the README line that starts with MARKER,
# so the editor tests run the recipes exactly as the README gives them.
# usage: readme_snippet.sh README.md MARKER
set -u
awk -v marker="$2" '
  !found && index($0, marker) == 1 { found = 1; next }
  found && !inside && /^```/ { inside = 1; next }
  inside && /^```/ { exit }
  inside { print }
' "$1"
