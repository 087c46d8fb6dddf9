# profiles: sve-big
# timeout: 240
# Bad snapshots and failed snapshots:
# - a corrupt state file (flipped byte, truncated, wrong magic, missing
#   memory) is refused with status 2 and one line naming the section;
# - a snapshot into an existing directory fails, leaves it untouched, and
#   the VM runs on;
# - kill -9 of vmm in the middle of a snapshot leaves no partial directory.
api=/tmp/api.sock
s=/tmp/snap-errors
rm -rf $s; mkdir -p $s
start_vmm /tmp/err.out run --testdev -m 64 --api-socket $api -k "$GUESTS/sve-state.img"
wait_for /tmp/err.out "testdev: ready=1"
"$VMM" snapshot --api-socket $api -o $s/good > good.out 2>&1 || { cat good.out; fail "snapshot failed"; }
"$VMM" snapshot-info $s/good > info || fail "snapshot-info of a good snapshot failed"
grep -q "^format: 1.1" info || fail "snapshot-info shows no format"
grep -q "^VL set: 128,256,512" info || fail "snapshot-info shows the wrong VL set"

# An existing directory: refused, untouched, and the guest runs on.
mkdir $s/taken; echo keep > $s/taken/file
"$VMM" snapshot --api-socket $api -o $s/taken > taken.out 2>&1
rc=$?
[ $rc = 2 ] || fail "snapshot into an existing directory: status $rc, want 2"
grep -q "already exists" taken.out || fail "no 'already exists' message"
[ "$(cat $s/taken/file)" = keep ] && [ "$(ls $s/taken)" = file ] || fail "the existing directory changed"
"$VMM" pause --api-socket $api > /dev/null || fail "pause failed: the VM did not run on"
"$VMM" resume --api-socket $api > /dev/null || fail "resume failed"

# kill -9 at several moments of a snapshot: DIR is then absent or whole,
# never partial, and the earlier snapshot is untouched. A Linux guest that
# filled 96 MiB of its memory makes the snapshot long enough to hit.
"$VMM" stop --api-socket $api > /dev/null; wait_vmm
hit=0
for delay in 0.5 1 3; do
	start_vmm /tmp/fill.out run -m 192 --api-socket $api -k "$KERNEL" -i "$LINUX_INITRD" \
		-p "console=ttyAMA0 quiet vmm.test=memfill"
	wait_for /tmp/fill.out "guest: filled" 90
	rm -rf $s/killed $s/.killed.tmp-*
	"$VMM" snapshot --api-socket $api -o $s/killed > /dev/null 2>&1 &
	sleep $delay
	kill -9 $VMM_PID
	wait $VMM_PID
	if [ -e $s/killed ]; then
		"$VMM" snapshot-info $s/killed > /dev/null || fail "kill -9 after ${delay}s left a partial $s/killed"
	fi
	ls -a $s | grep -q '^\.killed\.tmp-' && hit=$((hit + 1))
done
[ $hit -gt 0 ] || fail "no kill landed in the middle of a snapshot"
echo "kills in the middle of a snapshot: $hit of 3"
[ -d $s/good ] || fail "the earlier snapshot is gone"
"$VMM" snapshot-info $s/good > /dev/null || fail "the earlier snapshot was damaged"

# corrupt copies of the good snapshot
state_size=$(wc -c < $s/good/state)
bad() {	# NAME: copies good to NAME for the caller to damage
	rm -rf $s/$1
	cp -r $s/good $s/$1
}
check_refused() {	# NAME WHAT
	run_vmm restore-$1 restore $s/$1
	expect_rc 2 restore-$1
	expect_line "$2" restore-$1
	[ "$(wc -l < restore-$1)" = 1 ] || { cat restore-$1; fail "$1: not one line"; }
	run_vmm info-$1 snapshot-info $s/$1
	expect_rc 2 info-$1
}
bad flipped
# A byte near the end: in the last section (the test doorbell's device section).
off=$((state_size - 12))
printf '\377' | dd of=$s/flipped/state bs=1 seek=$off conv=notrunc 2>/dev/null
check_refused flipped "section [0-9]* (device 196608)"

bad truncated
head -c $((state_size / 2)) $s/good/state > $s/truncated/state
check_refused truncated "state: section"

bad magic
printf 'NOTASNAP' | dd of=$s/magic/state bs=1 seek=0 conv=notrunc 2>/dev/null
check_refused magic "not a vmm snapshot"

bad nomemory
rm $s/nomemory/memory
check_refused nomemory "memory"

bad shortmemory
truncate -s 4096 $s/shortmemory/memory
check_refused shortmemory "memory: the file has 4096 bytes"

run_vmm missing restore $s/does-not-exist
expect_rc 2 missing
rm -rf $s
