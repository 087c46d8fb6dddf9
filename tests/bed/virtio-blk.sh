# profiles: sve-big sve-big@6.12
# timeout: 120
# -d PATH and -d PATH,ro: the Linux guest writes a pattern with dd, syncs
# and reads it back; after vmm exits the file holds it. A discard punches
# a hole. The read-only disk refuses writes and its file is untouched. The
# serial is the one vmm documents (st_dev-st_ino in hex). A missing disk,
# or a directory, is refused at start with status 2.
pattern() { seq -w 1 1000000 | head -c 1048576; }
sum() { md5sum | cut -d ' ' -f 1; }
rw=/tmp/rw.img ro=/tmp/ro.img
rm -f $rw $ro
dd if=/dev/urandom of=$rw bs=1M count=8 2>/dev/null
dd if=/dev/urandom of=$ro bs=1M count=2 2>/dev/null
ro_before=$(sum < $ro)
zeros_64k=$(dd if=/dev/zero bs=65536 count=1 2>/dev/null | sum)

linux_guest blk virtio-blk -d $rw -d $ro,ro
expect_rc 0 blk
expect_guest disks 2 blk
expect_guest vda_sectors $((8 * 2048)) blk
expect_guest vdb_ro 1 blk
expect_guest vda_serial "$(printf '%x-%x' $(stat -L -c '%d %i' $rw) | cut -c1-20)" blk
want=$(pattern | sum)
expect_guest pattern_md5 "$want" blk
expect_guest readback_md5 "$want" blk
expect_guest discard ok blk
expect_guest discarded_md5 "$zeros_64k" blk
expect_guest ro_write refused blk
expect_guest vdb_md5 "$ro_before" blk

# The files, after vmm exited.
[ "$(dd if=$rw bs=65536 skip=16 count=16 2>/dev/null | sum)" = "$want" ] ||
	fail "$rw does not hold the pattern the guest wrote"
[ "$(dd if=$rw bs=65536 skip=64 count=1 2>/dev/null | sum)" = "$zeros_64k" ] ||
	fail "$rw: the discarded range is not zeros"
[ "$(sum < $ro)" = "$ro_before" ] || fail "the read-only disk's file changed"

run_vmm missing run -k "$GUESTS/hello.img" -d /tmp/no-such.img
expect_rc 2 missing
expect_line "/tmp/no-such.img" missing
[ "$(wc -l < missing)" = 1 ] || fail "missing disk: more than one line: $(cat missing)"
run_vmm dir run -k "$GUESTS/hello.img" -d /tmp
expect_rc 2 dir
expect_line "/tmp" dir
rm -f $rw $ro
