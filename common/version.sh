#!/bin/sh
# Prints the version every program reports with --version, from one place:
# in a git clone with a release tag (v1.2.3), `git describe` (1.2.3, or
# 1.2.3-4-gabcdef1 after it); in a clone without one, the VERSION file and the
# commit (0.1.0-gabcdef1); in a tarball, the VERSION file alone.  "-dirty"
# when the work tree has uncommitted changes.
cd "$(dirname "$0")/.." || exit 1
base=$(cat VERSION 2>/dev/null || echo unknown)
if [ -e .git ] && command -v git >/dev/null 2>&1 && git rev-parse --git-dir >/dev/null 2>&1; then
	if v=$(git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null); then
		echo "${v#v}"
		exit 0
	fi
	dirty=
	git diff-index --quiet HEAD -- 2>/dev/null || dirty=-dirty
	echo "$base-g$(git rev-parse --short HEAD)$dirty"
	exit 0
fi
echo "$base"
