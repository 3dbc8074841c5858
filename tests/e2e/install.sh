#!/bin/bash
# make install / make uninstall: every file where the FHS and systemd expect
# it, man pages that render and lint clean and document every option the
# program takes, units that systemd-analyze verifies against the installed
# paths and rates at most 2.0 ("security --offline=yes --threshold=20": the
# threshold is the exposure times ten, and a unit above it fails), and an
# uninstall that leaves no file behind.
. "$(dirname "$0")/lib.sh"
cd "$E2E_ROOT"

# The build make check runs (tests/run.sh sets BUILD), else the one bin/ holds:
# make install must not relink bin/ with the other one.
build_flags=()
[ "${BUILD:-$(cat bin/.build 2>/dev/null)}" = build/asan ] && build_flags=(SANITIZE=1)
mk() { make -s --no-print-directory "${build_flags[@]}" "$@"; }

STAGE=$T_DIR/stage
ok "make install DESTDIR PREFIX=/usr" mk install DESTDIR="$STAGE" PREFIX=/usr

# What must be there: computed from the tree, so a new program is expected
# to come with its man page and unit.
daemons=$(cd bin && ls burrow-* | sort)
expected() {
	echo usr/bin/burrow
	echo usr/share/man/man1/burrow.1
	for d in $daemons; do
		echo "usr/sbin/$d"
		echo "usr/share/man/man8/$d.8"
		echo "usr/lib/systemd/system/$d.service"
	done
	echo usr/lib/systemd/system/burrow-domain-verify.service
	echo usr/lib/systemd/system/burrow-domain-verify.timer
	echo usr/lib/sysusers.d/burrow.conf
	for f in deploy/examples/*.env; do echo "usr/share/doc/burrow/examples/${f##*/}"; done
	for f in README.md deploy/DOMAINS.md docs/*.md; do echo "usr/share/doc/burrow/${f##*/}"; done
}
same "installed files" "$(expected | sort)" \
	"$(cd "$STAGE" && find . -type f -o -type l | sed 's|^\./||' | sort)"
same "programs executable, the rest not" "" \
	"$(cd "$STAGE" && find . -type f \( -path './usr/bin/*' -o -path './usr/sbin/*' \) ! -perm 0755;
	   find . -type f ! -path './usr/bin/*' ! -path './usr/sbin/*' ! -perm 0644)"
same "no @PLACEHOLDER@ left" "" "$(grep -rlE '@[A-Z]+@' "$STAGE/usr/share/man" "$STAGE/usr/lib")"

# Man pages: mandoc's lint at warning level, man -l renders them, and every
# long option the program's usage names is documented on its page.
have_mandoc=0
command -v mandoc >/dev/null && have_mandoc=1
for page in "$STAGE"/usr/share/man/man*/*; do
	name=$(basename "$page")
	if [ $have_mandoc = 1 ]; then
		ok "mandoc -T lint $name" mandoc -T lint -W warning "$page"
	else
		echo "ok - mandoc -T lint $name # SKIP mandoc not installed"
	fi
	prog=${name%.*}
	rendered=$(MANWIDTH=80 man -l "$page" 2>"$T_DIR/man.err")
	same "man -l $name renders, no diagnostics" "" "$(cat "$T_DIR/man.err")"
	ok "man -l $name has NAME and SYNOPSIS" \
		sh -c 'printf "%s\n" "$1" | grep -q "^NAME" && printf "%s\n" "$1" | grep -q "^SYNOPSIS"' _ "$rendered"
	# --help where the program has it, else the usage it prints on a bad option.
	opts=$( { "bin/$prog" --help 2>&1; "bin/$prog" --no-such-option 2>&1; } |
		grep -v -e 'unrecognized option' -e 'no-such-option' |
		grep -oE '(^|[^a-z-])--[a-z][a-z0-9-]*' | sed 's/^[^-]*//' | sort -u)
	missing=""
	for o in $opts; do
		printf '%s\n' "$rendered" | grep -qe "$o" || missing="$missing $o"
	done
	same "$name documents every option of $prog's usage" "" "${missing# }"
done

# Units, verified where they are installed.  systemd-analyze --root looks up
# everything in that tree, so the verify copy gets the host's targets and
# kill(1) (ExecReload) beside the installed files; Documentation=man: pages
# are looked up in the tree's man pages.
UNITS=$STAGE/usr/lib/systemd/system
ROOT=$T_DIR/root
cp -a "$STAGE" "$ROOT"
for d in /usr/lib/systemd/system /lib/systemd/system; do
	[ -d "$d" ] && cp -n "$d"/*.target "$ROOT/usr/lib/systemd/system/" 2>/dev/null
done
mkdir -p "$ROOT/usr/bin" && cp -L "$(type -P kill)" "$ROOT/usr/bin/kill" && ln -s usr/bin "$ROOT/bin"
for u in "$UNITS"/*; do
	name=$(basename "$u")
	out=$(cd "$ROOT/usr/lib/systemd/system" &&
		MANPATH=$ROOT/usr/share/man systemd-analyze verify --root="$ROOT" "$name" 2>&1)
	same "systemd-analyze verify $name (no diagnostics)" "" "$out"
done
for u in "$UNITS"/*.service; do
	name=$(basename "$u")
	score=$(systemd-analyze security --offline=yes --root="$STAGE" "$name" 2>&1 |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	echo "# $name exposure $score"
	ok "systemd-analyze security $name <= 2.0 ($score)" \
		systemd-analyze security --offline=yes --root="$STAGE" --threshold=20 "$name"
done
same "ExecStart= names the installed programs" "" \
	"$(grep -h '^ExecStart=' "$UNITS"/*.service | sed 's/^ExecStart=//; s/ .*//' |
	   while read -r p; do [ -x "$STAGE$p" ] || echo "$p"; done)"
same "every service shares the one StateDirectory and user" \
	"$(ls "$UNITS"/*.service | wc -l) $(ls "$UNITS"/*.service | wc -l)" \
	"$(grep -l '^StateDirectory=burrow$' "$UNITS"/*.service | wc -l) $(grep -l '^User=burrow$' "$UNITS"/*.service | wc -l)"
same "sysusers.d creates that user" "u burrow" \
	"$(grep -v '^#' "$STAGE/usr/lib/sysusers.d/burrow.conf" | awk '{print $1, $2}')"

# The default PREFIX: /usr/local, configuration in /usr/local/etc.
LOCAL=$T_DIR/local
ok "make install DESTDIR (default PREFIX)" mk install DESTDIR="$LOCAL"
same "default PREFIX: units run /usr/local/sbin, read /usr/local/etc" \
	"ExecStart=/usr/local/sbin/burrow-dns EnvironmentFile=-/usr/local/etc/burrow/dns.env" \
	"$(grep -o '^ExecStart=[^ ]*' "$LOCAL/usr/local/lib/systemd/system/burrow-dns.service") $(grep '^EnvironmentFile=.*dns.env' "$LOCAL/usr/local/lib/systemd/system/burrow-dns.service")"
ok "make uninstall (default PREFIX)" mk uninstall DESTDIR="$LOCAL"
same "nothing left (default PREFIX)" "" "$(find "$LOCAL" -type f -o -type l)"

# Uninstall removes exactly what install put there: every file, and the
# directories that are Burrow's own; a file that is not ours stays.
echo keep >"$STAGE/usr/bin/other-program"
ok "make uninstall DESTDIR PREFIX=/usr" mk uninstall DESTDIR="$STAGE" PREFIX=/usr
same "only the file that is not ours is left" "./usr/bin/other-program" \
	"$(cd "$STAGE" && find . -type f -o -type l)"
same "Burrow's own directories removed" "" "$(cd "$STAGE" && find . -path '*burrow*')"

done_testing
