#!/bin/sh
# Installs the Debian packages that building, running and testing Burrow
# need: the union of every deps.txt in the tree (one package a line, '#'
# comments), so each subsystem lists its own.  Quiet when all are present.
set -eu
cd "$(dirname "$0")/.."
want=$(cat */deps.txt | sed -e 's/#.*//' | tr -s ' \t' '\n\n' | grep -v '^$' | sort -u)
missing=""
for p in $want; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
