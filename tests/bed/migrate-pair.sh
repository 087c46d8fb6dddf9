# pair: sve-big sve-small
# timeout: 240
# A VM moves between two hosts that run at once, over the network between
# them (stop-and-copy: snapshot --stop on host a, the snapshot directory
# sent over TCP, restore on host b):
# - a Linux guest started with --sve-vls=128,256 on sve-big, checking its
#   SVE registers all the time (sve-stress), goes on on sve-small from
#   where it was, with no mismatch;
# - a guest using VL 512 is refused there (restore --check and restore
#   end with 3, naming both sets, and run nothing), and runs on again on
#   sve-big, its SVE registers intact.
api=/tmp/api.sock

# send NAME PORT: the snapshot /tmp/NAME to host b, over the link.
send() {
	tar c -C /tmp "$1" > /tmp/$1.tar || fail "cannot pack /tmp/$1"
	netpipe send "$PAIR_PEER" "$2" 120 < /tmp/$1.tar 2> send-$1.err || { cat send-$1.err; fail "cannot send $1"; }
	cat send-$1.err
	rm /tmp/$1.tar
}

# receive NAME PORT: the snapshot NAME from host a, into /tmp/NAME.
receive() {
	netpipe recv "$2" 120 > /tmp/$1.tar 2> recv-$1.err || { cat recv-$1.err; fail "nothing came for $1"; }
	cat recv-$1.err
	tar x -C /tmp < /tmp/$1.tar || fail "cannot unpack $1"
	rm /tmp/$1.tar
}

rounds() {	# the sve-stress rounds a guest's output FILE reports
	sed -n 's/.*guest: sve_rounds=\([0-9]*\).*/\1/p' "$1"
}

host_a() {
	start_vmm /tmp/stress.out run --api-socket $api -c 1 -m 128 --sve-vls=128,256 \
		-k "$KERNEL" -i "$LINUX_INITRD" -p "console=ttyAMA0 quiet vmm.test=sve-stress"
	wait_for /tmp/stress.out "guest: sve_rounds=2" 120
	expect_guest sve_vl 256 /tmp/stress.out
	start=$(date +%s)
	"$VMM" snapshot --api-socket $api -o /tmp/stress --stop > save.out 2>&1 ||
		{ cat save.out; fail "snapshot of the stress guest failed"; }
	wait_vmm
	cp /tmp/stress.out stress.out
	[ "$RC" = 0 ] || fail "the stress guest's vmm exited with $RC"
	grep -q sve_bad stress.out && fail "SVE mismatch before the move"
	send stress 5002
	echo "move: $(($(date +%s) - start)) s from snapshot to sent"
	pair_mark stress "$(rounds stress.out | tail -n 1)"

	start_vmm /tmp/vl512.out run --api-socket $api --testdev -m 64 --sve-vls=128,256,512 \
		-k "$GUESTS/sve-state.img"
	wait_for /tmp/vl512.out "testdev: ready=1" 60
	expect_report vl 512 /tmp/vl512.out
	"$VMM" snapshot --api-socket $api -o /tmp/vl512 --stop > save512.out 2>&1 ||
		{ cat save512.out; fail "snapshot of the VL 512 guest failed"; }
	wait_vmm
	send vl512 5003
	pair_wait refused 90
	# Refused there: it runs on here, as scripts/vm-migrate does.
	VMM_TIMEOUT=90 run_vmm back restore /tmp/vl512
	expect_rc 0 back
	expect_report sve_ok 1 back
	pair_wait done 90
}

host_b() {
	receive stress 5002
	pair_wait stress
	last=$(pair_get stress)
	"$VMM" restore --check /tmp/stress > check.out 2>&1 || { cat check.out; fail "restore --check refused the 128,256 guest"; }
	start_vmm /tmp/moved.out restore /tmp/stress --api-socket $api
	wait_for /tmp/moved.out "guest: sve_rounds=" 60
	first=$(rounds /tmp/moved.out | head -n 1)
	[ "$first" -gt "$last" ] || fail "the guest's rounds restarted ($first after $last on host a)"
	sleep 3
	"$VMM" stop --api-socket $api > /dev/null || fail "stop failed"
	wait_vmm
	cp /tmp/moved.out moved.out
	[ "$RC" = 0 ] || fail "the moved guest's vmm exited with $RC"
	grep -q sve_bad moved.out && fail "SVE mismatch after the move"
	[ "$(rounds moved.out | tail -n 1)" -gt "$first" ] || fail "the moved guest did not go on"
	rm -rf /tmp/stress

	receive vl512 5003
	"$VMM" restore --check /tmp/vl512 > refused-check 2>&1
	[ $? = 3 ] || { cat refused-check; fail "restore --check of the VL 512 guest did not end with 3"; }
	run_vmm refused restore /tmp/vl512
	expect_rc 3 refused
	expect_line "saved VL set 128,256,512; this host can give at most 128,256" refused
	grep -q "^testdev:" refused && fail "a refused restore ran the guest"
	pair_mark refused
	pair_mark done
}
