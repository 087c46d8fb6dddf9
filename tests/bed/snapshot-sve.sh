# profiles: sve-big sve-odd
# timeout: 150
# Bit-exact SVE state across snapshot and restore. The sve-state guest
# writes distinct patterns into every Z, P and FFR register, then keeps
# checking them for 20 s of guest time. It is snapshotted (--stop) in the
# middle, and restored in a new vmm process: the guest finishes its
# window and reports that every register survived. The VMM-side dump of
# every register (snapshot-info --regs: vcpus, GIC, devices) is identical
# before and after.
# Snapshots stay on the host's tmpfs: the 9p share is slow for guest memory.
api=/tmp/api.sock
snap=/tmp/snap-sve
rm -rf $snap $snap-restored
start_vmm /tmp/run1.out run --testdev -c 2 -m 64 --api-socket $api -k "$GUESTS/sve-state.img"
wait_for /tmp/run1.out "testdev: ready=1"
vl=$(report vl /tmp/run1.out)
"$VMM" snapshot --api-socket $api -o $snap --stop > snap.out 2>&1 || { cat snap.out; fail "snapshot failed"; }
wait_vmm
cp /tmp/run1.out run1.out
[ "$RC" = 0 ] || fail "the snapshotted vmm exited with $RC"
grep -q "sve_ok" run1.out && fail "the guest finished before the snapshot"
snapshot_regs $snap > regs-saved

# Restore paused, dump the restored vcpus (and memory) through a second snapshot, then run.
start_vmm /tmp/run2.out restore $snap --paused --api-socket $api
for i in $(seq 30); do [ -S $api ] && break; sleep 1; done
"$VMM" snapshot --api-socket $api -o $snap-restored > snap2.out 2>&1 || { cat snap2.out; fail "second snapshot failed"; }
snapshot_regs $snap-restored > regs-restored
cmp regs-saved regs-restored || { diff regs-saved regs-restored | head; fail "registers differ after restore"; }
grep -q "Z31 slice 0" regs-saved || fail "the dump has no Z31"
grep -q "FFR slice 0" regs-saved || fail "the dump has no FFR"
grep -q "^gic 0 " regs-saved || fail "the dump has no GIC state"
grep -q "^device 65536 " regs-saved || fail "the dump has no device state"
# The restored VM has not run: saving its private mapping of the memory
# file gives that file back, byte for byte, with the same holes.
cmp $snap/memory $snap-restored/memory || fail "the second snapshot's memory differs from the first's"
[ "$(du -k $snap-restored/memory | cut -f1)" -le "$(du -k $snap/memory | cut -f1)" ] ||
	fail "the second snapshot's memory file takes more space: its holes were filled"
"$VMM" resume --api-socket $api > /dev/null || fail "resume failed"
wait_vmm
cp /tmp/run2.out run2.out
[ "$RC" = 0 ] || { tail run2.out; fail "the restored vmm exited with $RC"; }
expect_report sve_ok 1 run2.out
rm -rf $snap $snap-restored
