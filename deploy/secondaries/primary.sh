#!/bin/sh
# The primary's side of deploy/secondaries: one TSIG key per secondary,
# then the secondaries themselves.  Prints the secrets to paste into
# nsd.conf and knot.conf.  Usage: sh primary.sh NSD_IP KNOT_IP
set -eu
burrow tsig add w-ns-a
burrow tsig add w-ns-b
burrow secondary add "$1" --key w-ns-a
burrow secondary add "$2" --key w-ns-b
burrow secondary list
