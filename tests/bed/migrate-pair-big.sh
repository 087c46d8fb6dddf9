# pair: sve-big sve-big
# timeout: 180
# Live migration between two sve-big hosts over their network (tcp, with
# --auth-file; docs/migration.md): the sve-state guest at VL 512 (every Z,
# P and FFR register loaded and checked pass after pass against its
# pattern) moves from host a to host b while it runs, and finishes its
# window there with every register intact. The bytes migrate reports went
# over the link.
port=7001

host_a() {
	pair_auth /tmp/auth
	start_vmm /tmp/src.out run --testdev -m 64 --api-socket /tmp/src.sock -k "$GUESTS/sve-state.img"
	wait_for /tmp/src.out "testdev: ready=1"
	expect_report vl 512 /tmp/src.out
	pair_wait listening
	tx0=$(pair_tx_bytes)
	migrate_vm moved.out /tmp/src.sock "tcp:$PAIR_PEER:$port" --auth-file /tmp/auth
	expect_rc 0 moved.out
	expect_line "^migrated to tcp:$PAIR_PEER:$port: total [0-9]* ms, downtime [0-9]* ms, [0-9.]* MB sent" moved.out
	cat moved.out
	wait_vmm
	cp /tmp/src.out src.out
	[ "$RC" = 0 ] || fail "the source vmm exited $RC after the move, want 0"
	grep -q "sve_ok" src.out && fail "the guest finished on host a, before the move"
	# What migrate says it sent (to 0.1 MB) went over the link.
	mb=$(migrate_figure sent moved.out)
	tx=$(($(pair_tx_bytes) - tx0))
	echo "link: $tx bytes out on $PAIR_IF; migrate: $mb MB sent"
	tenths=$(echo "$mb" | tr -d . | sed 's/^0*//')
	[ "$tx" -ge "$((${tenths:-0} * 100000 - 50000))" ] ||
		fail "only $tx bytes left on $PAIR_IF, migrate reports $mb MB"
	pair_mark moved
	pair_wait done 90
}

host_b() {
	pair_auth /tmp/auth
	start_receiver /tmp/dst.out "tcp:$PAIR_ADDR:$port" --auth-file /tmp/auth
	wait_listening $port
	pair_mark listening
	pair_wait moved 90
	VMM_PID=$RECV_PID
	wait_receiver
	cp /tmp/dst.out dst.out
	[ "$RECV_RC" = 0 ] || { tail dst.out; fail "the destination exited $RECV_RC, want 0"; }
	bad=$(report bad dst.out)
	[ -z "$bad" ] || fail "register mismatch after the move: bad=$bad (got $(report bad_got dst.out), want $(report bad_want dst.out))"
	expect_report sve_ok 1 dst.out
	pair_mark done
}
