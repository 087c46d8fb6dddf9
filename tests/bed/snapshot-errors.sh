# profiles: sve-big
# timeout: 150
# Bad snapshots and failed snapshots:
# - a corrupt state file (flipped byte, truncated, wrong magic, missing
#   memory) is refused with status 2 and one line naming the section;
# - a snapshot into an existing directory fails, leaves it untouched, and
#   the VM runs on;
# - kill -9 of vmm in the middle of a snapshot leaves no partial directory.
api=/tmp/api.sock
s=/tmp/snap-errors
rm -rf $s; mkdir -p $s
# 512 MiB: scanning it takes a few seconds, time to kill vmm in the middle.
start_vmm /tmp/err.out run --testdev -m 512 --api-socket $api -k "$GUESTS/sve-state.img"
wait_for /tmp/err.out "testdev: ready=1"
"$VMM" snapshot --api-socket $api -o $s/good > good.out 2>&1 || { cat good.out; fail "snapshot failed"; }
"$VMM" snapshot-info $s/good > info || fail "snapshot-info of a good snapshot failed"
grep -q "^format: 1.0" info || fail "snapshot-info shows no format"
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

# kill -9 in the middle of a snapshot: no partial directory is left.
"$VMM" snapshot --api-socket $api -o $s/killed > /dev/null 2>&1 &
sleep 1
kill -9 $VMM_PID
wait $VMM_PID
[ -e $s/killed ] && fail "kill -9 left a partial $s/killed"
ls -a $s | grep -q '^\.killed\.tmp-' || fail "the snapshot had not started when vmm was killed"
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
# A byte in the last section's payload (the memory section, near the end).
off=$((state_size - 12))
printf '\377' | dd of=$s/flipped/state bs=1 seek=$off conv=notrunc 2>/dev/null
check_refused flipped "section [0-9]* (memory"

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
