#!/bin/bash
# Fetch the real-code corpora named in corpora.json at their pinned commits and make each
# one's compile database (configure only, nothing is built). Installs the Debian packages a
# corpus needs for configuring when they are missing.
#
# usage: setup.sh [CORPUS_ROOT] [names...]     (default root: $REALCODE_ROOT or ./corpus)
# REALCODE_GIT_URL: where to clone from, {owner} and {name} filled in
#   (default https://github.com/{owner}/{name}.git; a local mirror works too)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
manifest=$here/corpora.json
root=${1:-${REALCODE_ROOT:-corpus}}
[[ $# -gt 0 ]] && shift
default_url='https://github.com/{owner}/{name}.git'
url_template=${REALCODE_GIT_URL:-$default_url}
mkdir -p "$root"
root=$(cd "$root" && pwd)

# name TAB repository TAB commit TAB checkout TAB packages, one line a corpus
corpora=$(python3 - "$manifest" "$@" <<'PY'
import json, sys
want = set(sys.argv[2:])
names = [e["name"] for e in json.load(open(sys.argv[1]))["corpora"]]
unknown = want - set(names)
if unknown:
    sys.exit("setup.sh: unknown corpus: " + " ".join(sorted(unknown)))
for e in json.load(open(sys.argv[1]))["corpora"]:
    if not want or e["name"] in want:
        print("\t".join([e["name"], e["repository"], e["commit"], e.get("checkout", e["name"]),
                         " ".join(e.get("packages", []))]))
PY
)

missing=()
while IFS=$'\t' read -r _ _ _ _ packages; do
  for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
done <<<"$corpora"
if [[ ${#missing[@]} -gt 0 ]]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

status=0
while IFS=$'\t' read -r name repo commit checkout _; do
  dir=$root/$checkout
  if [[ ! -d $dir/.git ]]; then
    url=${url_template//\{owner\}/${repo%%/*}}
    url=${url//\{name\}/${repo##*/}}
    echo "cloning $repo into $dir"
    git clone -q --no-checkout "$url" "$dir"  # only the pinned commit is checked out
  fi
  if [[ $(git -C "$dir" rev-parse HEAD 2>/dev/null) != "$commit" ]]; then
    git -C "$dir" -c advice.detachedHead=false checkout -q "$commit"
  fi
  echo "configuring $name"
  python3 "$here/compdb.py" "$manifest" "$dir" "$name" || {
    echo "setup.sh: $name: configure failed, see $dir/build-calm-$name/configure.log" >&2
    status=1
  }
done <<<"$corpora"
exit $status
