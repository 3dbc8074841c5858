#!/bin/bash
# The Debian package: dpkg-buildpackage -us -uc -b builds it from a copy of
# the tree, dpkg-deb -c lists what make install puts under /usr (units in
# /lib/systemd/system, pages compressed), lintian has no error or warning,
# and it installs and purges for real: dpkg -i inside a mount namespace
# whose root is an overlay of this machine's (every write lands in the
# test's folder), where postinst must create the user burrow and its 0700
# store directory and leave the units disabled, the packaged burrow-dns must
# answer as that user under its packaged unit's restrictions, and purge
# removes them.
. "$(dirname "$0")/lib.sh"
cd "$E2E_ROOT"

for tool in dpkg-buildpackage dh fakeroot; do
	if ! command -v "$tool" >/dev/null; then
		echo "ok 1 - Debian package # SKIP $tool not installed (make deps)"
		exit 0
	fi
done

# A copy of the tree as git sees it (committed or not, minus ignored files):
# the build runs make clean and writes debian/ beside the sources.
SRC=$T_DIR/src/burrow
mkdir -p "$SRC"
git ls-files -co --exclude-standard | grep -v -e '^build/' -e '^bin/' |
	tar -cf - -T - | tar -xf - -C "$SRC"
ok "build dependencies installed" dpkg-checkbuilddeps "$SRC/debian/control"
ok "dpkg-buildpackage -us -uc -b" sh -c "cd '$SRC' && DEB_BUILD_OPTIONS=parallel=2 \
	dpkg-buildpackage -us -uc -b >'$T_DIR/build.log' 2>&1 || { tail -40 '$T_DIR/build.log'; exit 1; }"
deb=$(ls "$T_DIR"/src/burrow_*_*.deb 2>/dev/null | head -1)
ok "a burrow .deb" test -f "$deb"
same "its version is the tree's (VERSION, debian/changelog)" "$(cat VERSION)" \
	"$(dpkg-deb -f "$deb" Version 2>&1)"

# What the package holds: the same files as make install PREFIX=/usr.
daemons=$(cd bin 2>/dev/null && ls burrow-* | sort)
[ -n "$daemons" ] || daemons=$(cd "$SRC/bin" && ls burrow-* | sort)
expected() {
	echo usr/bin/burrow
	echo usr/share/man/man1/burrow.1.gz
	for d in $daemons; do
		echo "usr/sbin/$d"
		echo "usr/share/man/man8/$d.8.gz"
		echo "lib/systemd/system/$d.service"
	done
	echo lib/systemd/system/burrow-domain-verify.service
	echo lib/systemd/system/burrow-domain-verify.timer
	echo usr/lib/sysusers.d/burrow.conf
	for f in deploy/examples/*.env; do echo "usr/share/doc/burrow/examples/${f##*/}"; done
}
listing=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./||')
missing=$(expected | while read -r f; do printf '%s\n' "$listing" | grep -qxF "$f" || echo "$f"; done)
same "dpkg-deb -c lists every program, page, unit, example" "" "$missing"
same "programs in the package are executable" "" \
	"$(dpkg-deb -c "$deb" | awk '$6 ~ /^\.\/usr\/s?bin\/./ && $1 != "-rwxr-xr-x" {print $6}')"
same "units run /usr/sbin and read /etc/burrow" "" \
	"$(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./lib/systemd/system/burrow-dns.service |
	   grep -E '^(ExecStart|EnvironmentFile)=' | grep -vE '=(/usr/sbin/|-/etc/burrow/)')"

if command -v lintian >/dev/null; then
	lintian --pedantic -I "$deb" >"$T_DIR/lintian.out" 2>&1
	sed -n 's/^/# lintian: /p' "$T_DIR/lintian.out" | grep -v 'running with root'
	same "lintian: no error or warning" "" "$(grep -E '^[EW]: ' "$T_DIR/lintian.out")"
else
	echo "ok - lintian # SKIP lintian not installed"
fi

# Install and purge for real, on an overlay of / (upper layer in $T_DIR).
OV=$T_DIR/ov
host_before=$(id burrow 2>&1; ls /usr/sbin/burrow-dns /var/lib/burrow 2>&1)
mkdir -p "$OV/upper" "$OV/work" "$OV/root"
cp "$deb" "$T_DIR/burrow.deb"
cat >"$T_DIR/in-root.sh" <<'EOF'
set -e
dpkg -i /tmp/burrow.deb >/dev/null
echo "user $(id -u burrow >/dev/null && echo yes)"
echo "uid $(id -u burrow)"
echo "store dir $(stat -c '%U %a' /var/lib/burrow)"
echo "enabled $(systemctl is-enabled burrow-dns.service burrow-edge.service \
	burrow-acme.service burrow-exit.service burrow-domain-verify.timer 2>/dev/null | sort -u | tr '\n' ' ')"
echo "cli $(burrow --version 2>&1)"
echo "man $(man -w burrow-dns)"
# The packaged burrow-dns, as the user postinst made, under its packaged
# unit's restrictions (install_tools/unit_sandbox.py), on port 53 of a
# network namespace of its own.
runuser -u burrow -- burrow init --db /var/lib/burrow/burrow.db --zone w.deb.test \
	--ns ns1.w.deb.test --edge-ipv4 127.0.0.1 >/dev/null
unshare -n sh -c '
	ip link set lo up
	python3 /tmp/tool/unit_sandbox.py /lib/systemd/system/burrow-dns.service \
		--uid "$(id -u burrow)" --state /var/lib/burrow --keep /tmp/tool -- \
		/usr/sbin/burrow-dns --db /var/lib/burrow/burrow.db --listen 127.0.0.1:53 \
		>/tmp/dns.log 2>&1 &
	pid=$!
	i=0
	while [ $i -lt 300 ] && ! dig +short +time=1 +tries=1 @127.0.0.1 w.deb.test SOA | grep -qv "^;"; do
		sleep 0.1
		i=$((i + 1))
	done
	echo "packaged dns $(dig +short @127.0.0.1 w.deb.test SOA | grep -cv "^;") $(awk "/^Uid:/ {print \$2}" /proc/$pid/status)"
	kill $pid
	wait $pid
	cat /tmp/dns.log >&2'
dpkg -P burrow >/dev/null
echo "purged $(test -e /var/lib/burrow || test -e /usr/sbin/burrow-dns || echo clean)"
EOF
unshare -m --propagation private sh -c '
	set -e
	M=$1/root
	mount -t overlay overlay -o lowerdir=/,upperdir=$1/upper,workdir=$1/work "$M"
	mount -t proc proc "$M/proc"
	mount --rbind /dev "$M/dev"
	mount -t tmpfs tmpfs "$M/run"
	mount -t tmpfs tmpfs "$M/tmp"
	cp "$2/burrow.deb" "$2/in-root.sh" "$M/tmp/"
	mkdir "$M/tmp/tool" && cp "$3" "$M/tmp/tool/"
	chroot "$M" sh /tmp/in-root.sh' _ "$OV" "$T_DIR" "$E2E_ROOT/tests/e2e/install_tools/unit_sandbox.py" \
	>"$T_DIR/dpkg.out" 2>&1
sed 's/^/# /' "$T_DIR/dpkg.out"
same "dpkg -i: postinst made the user burrow" "user yes" "$(grep '^user' "$T_DIR/dpkg.out")"
same "dpkg -i: store directory owned by burrow, 0700" "store dir burrow 700" \
	"$(grep '^store dir' "$T_DIR/dpkg.out")"
same "dpkg -i: units installed disabled" "enabled disabled " "$(grep '^enabled' "$T_DIR/dpkg.out")"
same "dpkg -i: CLI runs" "cli burrow $(cat VERSION)" "$(grep '^cli' "$T_DIR/dpkg.out")"
same "dpkg -i: man burrow-dns found" "man /usr/share/man/man8/burrow-dns.8.gz" \
	"$(grep '^man' "$T_DIR/dpkg.out")"
same "the packaged burrow-dns answers as burrow under its packaged unit" \
	"packaged dns 1 $(grep '^uid ' "$T_DIR/dpkg.out" | cut -d' ' -f2)" "$(grep '^packaged dns' "$T_DIR/dpkg.out")"
same "dpkg -P: store and programs gone" "purged clean" "$(grep '^purged' "$T_DIR/dpkg.out")"
same "this machine untouched" "$host_before" \
	"$(id burrow 2>&1; ls /usr/sbin/burrow-dns /var/lib/burrow 2>&1)"

done_testing
