# profiles: sve-big
# timeout: 200
# Old snapshots keep restoring: tests/fixtures/snapshot-1.0 was written by
# vmm in format 1.0 (its README says how). Restored here, the sve-state guest
# in it finishes its window with every SVE register intact. Restored paused
# and snapshotted again, it is written in format 1.1 (devices keyed by type),
# with the same vcpu and GIC state, and that snapshot restores too.
snap=/tmp/snap-compat
api=/tmp/api.sock
rm -rf $snap $snap-1.1
mkdir -p $snap
cp "$TESTS/../fixtures/snapshot-1.0/state" $snap/state
gunzip -c "$TESTS/../fixtures/snapshot-1.0/memory.gz" > $snap/memory
"$VMM" snapshot-info $snap > info.out 2>&1 || { cat info.out; fail "snapshot-info refused the 1.0 fixture"; }
expect_line "format: 1.0" info.out
run_vmm restore.out restore $snap
expect_rc 0 restore.out
expect_report sve_ok 1 restore.out
[ -z "$(report bad restore.out)" ] || fail "restore.out: register mismatch bad=$(report bad restore.out)"

snapshot_regs $snap | grep -v '^device ' > regs-1.0
rm -f $api
start_vmm /tmp/compat.out restore $snap --paused --api-socket $api
for i in $(seq 30); do [ -S $api ] && break; sleep 1; done
"$VMM" snapshot --api-socket $api -o $snap-1.1 --stop > snap.out 2>&1 ||
	{ cat snap.out /tmp/compat.out; fail "snapshot of the restored fixture failed"; }
wait_vmm
"$VMM" snapshot-info $snap-1.1 > info-1.1.out 2>&1 || { cat info-1.1.out; fail "snapshot-info refused the 1.1 snapshot"; }
expect_line "format: 1.1" info-1.1.out
expect_line "  device *65536 " info-1.1.out
snapshot_regs $snap-1.1 | grep -v '^device ' > regs-1.1
cmp regs-1.0 regs-1.1 || { diff regs-1.0 regs-1.1 | head; fail "the 1.1 snapshot's vcpu or GIC state differs"; }
run_vmm restore-1.1.out restore $snap-1.1
expect_rc 0 restore-1.1.out
expect_report sve_ok 1 restore-1.1.out
rm -rf $snap $snap-1.1
