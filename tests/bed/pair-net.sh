# pair: sve-big sve-small
# timeout: 60
# The network between the two hosts of a pair: host b sends 4 MiB of
# random bytes over TCP to host a, which checks their SHA-256 against the
# one b computed (given through PAIR_DIR, not the link), and that they came
# in through the pair's NIC (its receive counter).
size=4194304

host_a() {
	rx0=$(pair_rx_bytes)
	netpipe recv 5001 50 > /tmp/got 2> recv.err || { cat recv.err; fail "host a received nothing"; }
	expect_line "received $size bytes" recv.err
	pair_wait sent
	want=$(pair_get sent)
	got=$(sha256sum < /tmp/got | cut -d' ' -f1)
	[ "$got" = "$want" ] || fail "host a got bytes with SHA-256 $got, host b sent $want"
	rx=$(($(pair_rx_bytes) - rx0))
	echo "link: $rx bytes in on $PAIR_IF"
	[ "$rx" -ge "$size" ] || fail "only $rx bytes came in on $PAIR_IF, want at least $size"
}

host_b() {
	head -c $size /dev/urandom > /tmp/sent
	netpipe send "$PAIR_PEER" 5001 50 < /tmp/sent 2> send.err || { cat send.err; fail "host b could not send"; }
	expect_line "sent $size bytes" send.err
	pair_mark sent "$(sha256sum < /tmp/sent | cut -d' ' -f1)"
}
