# The DNS above a customer's domain, for tests: a root zone and the parent
# zones example.com and modal.host, served by two NSD instances on loopback.
# Source after tests/e2e/lib.sh, then call parents_start.  Every server of
# the test (NSD, and burrow-dns at $OURS) listens on one port, $PORT, on its
# own loopback address, so referrals work as on the Internet.
#
# Sets ROOT (root server), PARENT (example.com and modal.host), OURS (the
# address w-ns-a..d.modal.host resolve to) and PORT.  example.com delegates:
#   sandbox, tunnels.a.b.c      to w-ns-a..d.modal.host (our NS set)
#   wrong                       to ns1/ns2.elsewhere.net
#   partial                     to w-ns-a, w-ns-b only

# serve_nsd NAME ADDR ZONE...: NSD on ADDR:$PORT for zones whose files are in
# $T_DIR/NAME/ (ZONE.zone, root.zone for ".").
serve_nsd() {
	_name=$1 _addr=$2
	shift 2
	_dir=$T_DIR/$_name
	mkdir -p "$_dir"
	{
		echo "server:"
		echo "  ip-address: $_addr@$PORT"
		echo "  username: \"\""
		echo "  zonesdir: \"$_dir\""
		echo "  database: \"\""
		echo "  pidfile: \"$_dir/nsd.pid\""
		echo "  xfrdfile: \"$_dir/xfrd.state\""
		echo "  zonelistfile: \"$_dir/zone.list\""
		echo "  logfile: \"$_dir/nsd.log\""
		echo "  server-count: 1"
		echo "remote-control:"
		echo "  control-enable: no"
		for _z in "$@"; do
			_f=$_z
			[ "$_z" = . ] && _f=root
			echo "zone:"
			echo "  name: \"$_z\""
			echo "  zonefile: \"$_f.zone\""
		done
	} >"$_dir/nsd.conf"
	start "nsd-$_name" nsd -d -c "$_dir/nsd.conf"
	NSD_PID=$LAST_PID
}

# parent_zone_example [DELEGATE_SANDBOX]: writes example.com's zone file;
# with DELEGATE_SANDBOX=no, sandbox.example.com is not delegated.
parent_zone_example() {
	{
		echo "\$TTL 60"
		echo "@ IN SOA ns1.example.com. hostmaster.example.com. ${2:-1} 3600 600 86400 60"
		echo "@ IN NS ns1.example.com."
		echo "ns1 IN A $PARENT"
		echo "www IN A 192.0.2.80"
		if [ "${1:-yes}" = yes ]; then
			for l in a b c d; do echo "sandbox IN NS w-ns-$l.modal.host."; done
		fi
		for l in a b c d; do echo "tunnels.a.b.c IN NS w-ns-$l.modal.host."; done
		echo "wrong IN NS ns1.elsewhere.net."
		echo "wrong IN NS ns2.elsewhere.net."
		echo "partial IN NS w-ns-a.modal.host."
		echo "partial IN NS w-ns-b.modal.host."
	} >"$T_DIR/parent/example.com.zone"
}

parents_start() {
	_net="127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1))"
	ROOT=$_net.1 OURS=$_net.2 PARENT=$_net.3
	PORT=$(free_port)
	mkdir -p "$T_DIR/root" "$T_DIR/parent"
	cat >"$T_DIR/root/root.zone" <<ZONE
\$TTL 60
. IN SOA a.root. hostmaster.root. 1 3600 600 86400 60
. IN NS a.root.
a.root. IN A $ROOT
example.com. IN NS ns1.example.com.
ns1.example.com. IN A $PARENT
modal.host. IN NS ns.modal.host.
ns.modal.host. IN A $PARENT
ZONE
	parent_zone_example yes
	cat >"$T_DIR/parent/modal.host.zone" <<ZONE
\$TTL 60
@ IN SOA ns.modal.host. hostmaster.modal.host. 1 3600 600 86400 60
@ IN NS ns.modal.host.
ns IN A $PARENT
w-ns-a IN A $OURS
w-ns-b IN A $OURS
w-ns-c IN A $OURS
w-ns-d IN A $OURS
ZONE
	serve_nsd root "$ROOT" .
	serve_nsd parent "$PARENT" example.com modal.host
	PARENT_PID=$NSD_PID
	wait_for 10 dig +short +norec @"$ROOT" -p "$PORT" . SOA &&
		wait_for 10 dig +short +norec @"$PARENT" -p "$PORT" example.com SOA
}
