# pair: sve-big sve-small
# timeout: 300
# Live migration from sve-big to sve-small over their network (tcp, with
# --auth-file; docs/migration.md), with a Linux guest that keeps filling
# and checking every SVE register (sve-stress):
# - using VL 512, it is refused in the check: vmm migrate and vmm receive
#   end with 3, the line names both VL sets, no memory crossed the link
#   (host b's NIC counted less than LINK_MAX bytes in, where the move below
#   sends megabytes), and the stress goes on at the source without a
#   mismatch;
# - started with --sve-vls=128,256, it moves to sve-small and goes on
#   there from where it was, without a mismatch.
LINK_MAX=1048576

# rounds FILE: the sve-stress rounds a guest's output reports, in order.
rounds() {
	sed -n 's/.*guest: sve_rounds=\([0-9]*\).*/\1/p' "$1"
}

# stress NAME ARGS...: starts the sve-stress guest (output /tmp/NAME.out,
# control socket /tmp/NAME.sock) and waits until it runs its rounds.
stress() {
	_name=$1
	shift
	start_vmm /tmp/$_name.out run --api-socket /tmp/$_name.sock -c 1 -m 128 "$@" \
		-k "$KERNEL" -i "$LINUX_INITRD" -p "console=ttyAMA0 quiet vmm.test=sve-stress"
	wait_for /tmp/$_name.out "guest: sve_rounds=2" 120
}

# goes_on OUT AFTER: the guest in OUT counts rounds past AFTER.
goes_on() {
	_i=0
	until [ "$(rounds "$1" | tail -n 1)" -gt "$2" ] 2>/dev/null; do
		[ "$_i" -lt 60 ] || fail "$1: the guest's rounds stay at $2"
		sleep 1
		_i=$((_i + 1))
	done
}

# stop_guest SOCKET OUT: stops the VM at SOCKET, whose vmm is VMM_PID and
# prints to /tmp/OUT; checks that it ended well with no mismatch.
stop_guest() {
	"$VMM" stop --api-socket $1 > /dev/null || fail "$2: stop failed"
	wait_vmm
	cp /tmp/$2 $2
	[ "$RC" = 0 ] || fail "$2: vmm exited $RC"
	grep -q sve_bad $2 && fail "$2: SVE mismatch"
	return 0
}

host_a() {
	pair_auth /tmp/auth

	stress big
	expect_guest sve_vl 512 /tmp/big.out
	pair_wait listening1
	migrate_vm refused.out /tmp/big.sock "tcp:$PAIR_PEER:7001" --auth-file /tmp/auth
	expect_rc 3 refused.out
	[ "$(wc -l < refused.out)" = 1 ] || { cat refused.out; fail "the refusal is not one line"; }
	expect_line "the destination cannot take this VM: .*128,256,512.*128,256" refused.out
	pair_mark refused
	[ "$("$VMM" status --api-socket /tmp/big.sock)" = running ] || fail "the source is not running after the refusal"
	goes_on /tmp/big.out "$(rounds /tmp/big.out | tail -n 1)"
	stop_guest /tmp/big.sock big.out

	stress small --sve-vls=128,256
	expect_guest sve_vl 256 /tmp/small.out
	pair_wait listening2
	migrate_vm moved.out /tmp/small.sock "tcp:$PAIR_PEER:7002" --auth-file /tmp/auth
	expect_rc 0 moved.out
	expect_line "^migrated to tcp:$PAIR_PEER:7002: total [0-9]* ms, downtime [0-9]* ms, [0-9.]* MB sent" moved.out
	cat moved.out
	wait_vmm
	cp /tmp/small.out small.out
	[ "$RC" = 0 ] || fail "the source vmm exited $RC after the move, want 0"
	grep -q sve_bad small.out && fail "SVE mismatch before the move"
	pair_mark moved "$(rounds small.out | tail -n 1) $(migrate_figure sent moved.out)"
	pair_wait done 120
}

host_b() {
	pair_auth /tmp/auth

	rx0=$(pair_rx_bytes)
	start_receiver /tmp/recv1.out "tcp:$PAIR_ADDR:7001" --auth-file /tmp/auth
	wait_listening 7001
	pair_mark listening1
	pair_wait refused 180
	VMM_PID=$RECV_PID
	wait_receiver
	cp /tmp/recv1.out recv-refused.out
	[ "$RECV_RC" = 3 ] || { cat recv-refused.out; fail "the refusing vmm receive exited $RECV_RC, want 3"; }
	grep -q "guest:\|vmm-guest" recv-refused.out && fail "the refusing destination ran the guest"
	refused_rx=$(($(pair_rx_bytes) - rx0))
	echo "refused: $refused_rx bytes came in on $PAIR_IF"
	[ "$refused_rx" -lt "$LINK_MAX" ] || fail "$refused_rx bytes came in for a refused VM (memory?)"

	start_receiver /tmp/recv2.out "tcp:$PAIR_ADDR:7002" --auth-file /tmp/auth --api-socket /tmp/moved.sock
	VMM_PID=$RECV_PID
	wait_listening 7002
	pair_mark listening2
	pair_wait moved 180
	set -- $(pair_get moved)
	last=$1 mb=$2
	echo "moved: $mb MB sent"
	# The byte count of the refusal above says something: a move sends more.
	[ "${mb%.*}" -ge 2 ] || fail "the move sent only $mb MB: the refusal's byte count proves nothing"
	goes_on /tmp/recv2.out "$last"
	first=$(rounds /tmp/recv2.out | head -n 1)
	[ "$first" -gt "$last" ] || fail "the guest's rounds restarted ($first after $last on host a)"
	stop_guest /tmp/moved.sock recv2.out
	pair_mark done
}
