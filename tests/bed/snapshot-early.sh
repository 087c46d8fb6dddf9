# profiles: sve-big
# timeout: 240
# A snapshot and a live migration started as soon as `vmm run` listens, while
# the boot files are still going into guest RAM (vmm/lazyload.c), hold every
# byte of them: vmm waits for the rest first (docs/snapshot.md,
# docs/migration.md). The initrd carries 96 MiB of random bytes after the
# test bed's own archive, so that loading it takes seconds; the restored
# guest, and the one that arrived, check those bytes' sha256. Without the
# wait, the blocks not loaded yet were saved (and sent) as zeros.
api=/tmp/early.sock
addr=unix:/tmp/early-mig.sock
s=/tmp/early-snaps	# on tmpfs: the 9p share is slow for guest memory
rm -rf $s /tmp/early-root $api /tmp/early-mig.sock
mkdir -p $s /tmp/early-root/tests

# The initrd: the Linux guests' archive (gzip), zeros up to a 512-byte
# boundary (the kernel looks for a cpio header at a multiple of 4), then an
# uncompressed archive with /blob and the guest test that sums it.
head -c $((96 << 20)) /dev/urandom > /tmp/early-root/blob
want=$(sha256sum < /tmp/early-root/blob | cut -d' ' -f1)
echo 'echo "guest: blob=$(sha256sum < /blob | cut -d" " -f1)"' > /tmp/early-root/tests/early.sh
size=$(wc -c < "$LINUX_INITRD")
{
	cat "$LINUX_INITRD"
	head -c $(((512 - size % 512) % 512)) /dev/zero
	(cd /tmp/early-root && find . | cpio -o -H newc 2>/dev/null)
} > /tmp/early-initrd
rm -rf /tmp/early-root
[ "$(wc -c < /tmp/early-initrd)" -gt $((96 << 20)) ] || fail "the initrd was not built"

# start_early OUT: vmm run on that initrd; returns as soon as its control
# socket is there (vmm listens on it just before the vcpus start).
start_early() {
	rm -f $api
	start_vmm "$1" run --debug --api-socket $api -c 1 -m 512 -k "$KERNEL" \
		-i /tmp/early-initrd -p "console=ttyAMA0 quiet vmm.test=early"
	while [ ! -S $api ]; do
		kill -0 "$VMM_PID" 2>/dev/null || { tail "$1"; fail "vmm ended before it listened"; }
	done
}

# api_now OUT ARGS...: a vmm client request, tried again while the socket
# is there but not listening yet.
api_now() {
	_out=$1
	shift
	for _try in 1 2 3 4 5 6 7 8 9 10; do
		"$VMM" "$@" > "$_out" 2>&1 && return 0
		grep -q "Connection refused" "$_out" || return 1
	done
	return 1
}

# waited OUT: the log line of the wait, which shows that the request came
# while blocks were still loading (else this test proved nothing).
waited() {
	grep "boot files: waited" "$1" ||
		fail "$1: the request came after the boot files were loaded: nothing was tested"
}

# ---- a snapshot at once, then restored ----
start_early /tmp/early-src.out
api_now snap.out snapshot --api-socket $api -o $s/early --stop ||
	{ cat snap.out; fail "the early snapshot failed"; }
wait_vmm
cp /tmp/early-src.out src.out
[ "$RC" = 0 ] || { tail src.out; fail "vmm exited $RC after the snapshot, want 0"; }
grep -q "vmm-guest: init reached" src.out && fail "the guest reached init before the snapshot"
run_vmm restored.out restore $s/early
expect_rc 0 restored.out
expect_line "vmm-guest: init reached" restored.out
expect_guest blob "$want" restored.out
waited src.out
rm -rf $s

# ---- a live migration at once, to a vmm receive on this host ----
start_receiver /tmp/early-dst.out $addr
start_early /tmp/early-src2.out
api_now mig.out migrate --api-socket $api --to $addr || { cat mig.out; fail "the early migration failed"; }
wait_vmm
cp /tmp/early-src2.out src2.out
[ "$RC" = 0 ] || { tail src2.out; fail "the source vmm exited $RC after the move, want 0"; }
grep -q "vmm-guest: init reached" src2.out && fail "the guest reached init before the move"
VMM_PID=$RECV_PID
wait_receiver
cp /tmp/early-dst.out moved.out
[ "$RECV_RC" = 0 ] || { tail moved.out; fail "the destination exited $RECV_RC, want 0"; }
expect_line "vmm-guest: init reached" moved.out
expect_guest blob "$want" moved.out
waited src2.out
rm -f /tmp/early-initrd
