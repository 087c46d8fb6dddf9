# profiles: sve-big
# timeout: 240
# A VM whose disk is busy (two writers with fsync) is snapshotted with
# --stop in the middle and restored in a new vmm: the guest finishes its
# writes, reads back exactly what it wrote, and the file holds it. The
# entropy device works after the restore. Restore refuses (status 2) a
# snapshot whose disk has changed size or is gone.
api=/tmp/busy.sock img=/tmp/busy.img snap=/tmp/busy-snap
rm -rf $img $snap
dd if=/dev/zero of=$img bs=1M count=16 2>/dev/null
want=$(seq -w 1 2000000 | head -c 8388608 | md5sum | cut -d ' ' -f 1)

start_vmm /tmp/busy0.out run --api-socket $api -k "$KERNEL" -i "$LINUX_INITRD" \
	-p "console=ttyAMA0 quiet vmm.test=disk-busy" -d $img --rng
wait_for /tmp/busy0.out "guest: busy_chunk=2[0-9]" 90
"$VMM" snapshot --api-socket $api -o $snap --stop > snap.out 2>&1 ||
	{ cat snap.out; fail "snapshot failed"; }
wait_vmm
cp /tmp/busy0.out busy0.out
expect_rc 0 busy0.out
grep -q "busy_md5" busy0.out && fail "the writers finished before the snapshot"
"$VMM" snapshot-info $snap > info || fail "snapshot-info failed"
grep -q "^disk: $img (rw, 16777216 bytes)" info || { cat info; fail "snapshot-info: no disk line"; }
grep -q "^rng: yes" info || { cat info; fail "snapshot-info: no rng line"; }
# One section per virtio device, keyed by type and instance (format 1.1):
# virtio-blk 0 (0x102 << 16) and virtio-rng 0 (0x104 << 16).
[ "$(grep -c '^  device *\(16908288\|17039360\) ' info)" = 2 ] ||
	{ cat info; fail "snapshot-info: not one section per virtio device"; }

start_vmm /tmp/busy1.out restore $snap --api-socket $api
wait_for /tmp/busy1.out "vmm-guest: test disk-busy status" 150
wait_vmm
cp /tmp/busy1.out busy1.out
expect_rc 0 busy1.out
grep -q "busy_write_failed" busy1.out && fail "a write failed after the restore"
expect_guest busy_md5 "$want" busy1.out
expect_guest hwrng_bytes 16 busy1.out
[ "$(dd if=$img bs=65536 count=128 2>/dev/null | md5sum | cut -d ' ' -f 1)" = "$want" ] ||
	fail "$img does not hold what the guest wrote"

dd if=/dev/zero bs=1M count=1 >> $img 2>/dev/null
run_vmm grown restore $snap
expect_rc 2 grown
expect_line "disk $img: has 17825792 bytes, the snapshot's had 16777216" grown
rm -f $img
run_vmm gone restore $snap
expect_rc 2 gone
expect_line "disk $img" gone
rm -rf $snap
