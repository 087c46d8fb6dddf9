# profiles: sve-big
# timeout: 240
# A Linux guest keeps filling and checking its SVE registers (sve-stress)
# through several snapshot -> restore cycles, each in a new vmm process,
# with no mismatch, and keeps running after the last. A snapshot of a
# running VM leaves it running.
api=/tmp/api.sock
out=/tmp/cycle0.out
s=/tmp/snaps	# on tmpfs: the 9p share is slow for guest memory
rm -rf $s; mkdir -p $s
start_vmm $out run --api-socket $api -c 1 -m 128 -k "$KERNEL" -i "$LINUX_INITRD" \
	-p "console=ttyAMA0 quiet vmm.test=sve-stress"
wait_for $out "guest: sve_rounds=2" 90
"$VMM" snapshot --api-socket $api -o $s/live > live.out 2>&1 || { cat live.out; fail "live snapshot failed"; }
before=$(grep -c sve_rounds $out)
sleep 3
[ "$(grep -c sve_rounds $out)" -gt "$before" ] || fail "the guest stopped after a live snapshot"
"$VMM" snapshot-info $s/live > live-info || fail "snapshot-info failed"
grep -q "^vcpus: 1" live-info || fail "snapshot-info: not 1 vcpu"

for cycle in 1 2 3; do
	"$VMM" snapshot --api-socket $api -o $s/snap$cycle --stop > s$cycle.out 2>&1 ||
		{ cat s$cycle.out; fail "cycle $cycle: snapshot failed"; }
	wait_vmm
	cp $out cycle$((cycle - 1)).out
	[ "$RC" = 0 ] || fail "cycle $cycle: vmm exited with $RC"
	grep -q "sve_bad" cycle$((cycle - 1)).out && fail "cycle $cycle: SVE mismatch"
	last=$(sed -n 's/.*guest: sve_rounds=\([0-9]*\).*/\1/p' $out | tail -n 1)
	out=/tmp/cycle$cycle.out
	start_vmm $out restore $s/snap$cycle --api-socket $api
	# The guest goes on counting from where it was.
	wait_for $out "guest: sve_rounds=" 60
	first=$(sed -n 's/.*guest: sve_rounds=\([0-9]*\).*/\1/p' $out | head -n 1)
	[ "$first" -gt "$last" ] || fail "cycle $cycle: rounds restarted ($first after $last)"
done
sleep 3
"$VMM" stop --api-socket $api > /dev/null || fail "stop failed"
wait_vmm
cp $out cycle3.out
grep -q "sve_bad" cycle3.out && fail "SVE mismatch after the last restore"
[ "$RC" = 0 ] || fail "the last vmm exited with $RC"
rm -rf $s
