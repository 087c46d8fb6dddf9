# profiles: sve-big
# timeout: 240
# A snapshot alone never makes vmm open what the person restoring did not
# name (docs/snapshot.md, docs/security.md). A VM with a disk given through
# a relative symlink is saved: the snapshot names the canonical path. Then
# its disk is replaced by a symlink (to a file of the right size, and
# through a symlinked directory), a FIFO, a file of another size and
# another file of the same size, its state by a FIFO and its memory by a
# symlink: each restore is refused with status 2 and one line naming the
# path and why; the files are not changed, and a reader of the FIFO shows
# that nobody opened it. `restore -d` names the backing and works; a wrong
# -d is refused. Last, the memory file of a restored VM is truncated under
# it (the guest, the control socket or a device thread touches a lost
# page): vmm stops with status 1 and one line naming the file.
dir=/tmp/hostile
d=$dir/disks img=$dir/disks/a.img snap=$dir/snap api=/tmp/hostile.sock
rm -rf $dir; mkdir -p $d
dd if=/dev/zero of=$img bs=1M count=4 2>/dev/null
printf 'vmm disk' | dd of=$img conv=notrunc 2>/dev/null
ln -s disks/a.img $dir/link.img
size=$(stat -c %s $img)

# --name longer than a snapshot keeps: refused at run, not at restore.
run_vmm longname run --testdev -k "$GUESTS/hello.img" \
	--name "$(printf '%064d' 0)"
expect_rc 2 longname
expect_line "name: 64 bytes, at most 63" longname

# The disk given relative and through a symlink: recorded canonical.
out=$(pwd)
cd $dir
start_vmm /tmp/h0.out run --testdev -m 64 --api-socket $api -k "$GUESTS/sve-state.img" -d link.img
cd "$out"
wait_for /tmp/h0.out "testdev: ready=1"
"$VMM" snapshot --api-socket $api -o $snap --stop > snap.out 2>&1 ||
	{ cat snap.out; fail "snapshot failed"; }
wait_vmm
expect_rc 0 /tmp/h0.out
"$VMM" snapshot-info $snap > info || fail "snapshot-info failed"
grep -q "^disk: $img (rw, $size bytes)" info ||
	{ cat info; fail "the snapshot does not name the canonical path $img"; }
run_vmm check restore --check $snap
expect_rc 0 check
expect_line "^disk 0: $img ($size bytes)" check
sum=$(md5sum < $img)

# refused RUN WHAT: restore is refused with status 2, one line matching WHAT.
refused() {
	run_vmm $1 restore $snap
	expect_rc 2 $1
	expect_line "$2" $1
	[ "$(wc -l < $1)" = 1 ] || { cat $1; fail "$1: not one line"; }
}
# unchanged FILE STAMP: the file's content and mtime are as they were.
unchanged() {
	[ "$(md5sum < $1)" = "$sum" ] && [ "$(stat -c %Y $1)" = "$2" ] ||
		fail "$1 changed"
}

mv $img $dir/real.img
stamp=$(stat -c %Y $dir/real.img)
ln -s $dir/real.img $img
refused symlink "disk $img: is or goes through a symlink"
unchanged $dir/real.img $stamp
rm $img

# A symlink in a directory of the path: O_NOFOLLOW alone would follow it.
mv $d $dir/disks.real; ln -s disks.real $d
cp $dir/real.img $dir/disks.real/a.img
refused symdir "disk $img: is or goes through a symlink"
rm $d; rm -r $dir/disks.real; mkdir $d

mkfifo $img
cat $img > /dev/null &
reader=$!
refused fifo "disk $img: is a FIFO, not a regular file"
sleep 1
kill -0 $reader 2>/dev/null || fail "vmm opened the FIFO: its reader ended"
kill $reader; rm $img

dd if=/dev/zero of=$img bs=1M count=5 2>/dev/null
refused size "disk $img: has 5242880 bytes, the snapshot's had $size"
rm $img

cp $dir/real.img $img
refused inode "disk $img: is another file than the snapshot's"
rm $img

mv $dir/real.img $img
mv $snap/state $snap/state.real; mkfifo $snap/state
refused statefifo "state is not a regular file"
run_vmm infofifo snapshot-info $snap
expect_rc 2 infofifo
rm $snap/state; mv $snap/state.real $snap/state

mv $snap/memory $dir/memory; ln -s $dir/memory $snap/memory
refused memlink "memory: is a symlink"
rm $snap/memory; mv $dir/memory $snap/memory

# The real disk again: restore checks pass without -d.
run_vmm again restore --check $snap
expect_rc 0 again

# -d names the backing: the count and the read-only flag must match.
cp $img $dir/copy.img
run_vmm ro restore --check $snap -d $dir/copy.img,ro
expect_rc 2 ro
expect_line "read-write: drop ,ro" ro
run_vmm two restore --check $snap -d $dir/copy.img -d $dir/copy.img
expect_rc 2 two
expect_line "names 2 disks, the snapshot has 1" two
# A copy (another inode) through a symlink, named by the person restoring.
rm $img; ln -s $dir/copy.img $img
run_vmm named restore $snap -d $img
expect_rc 0 named
expect_report sve_ok 1 named
[ "$(dd if=$dir/copy.img bs=8 count=1 2>/dev/null)" = "vmm disk" ] || fail "copy.img lost its data"

# The memory file truncated under a restored VM: the guest's next access
# makes KVM_RUN fail (EFAULT); vmm's own raise SIGBUS on the thread that
# touched the lost page, which hands the way out to the main thread (its
# seccomp filter has the terminal's ioctl and unlinkat). The control
# socket's thread reads all of RAM for a snapshot; virtio-far-ring's device
# I/O thread reads its descriptor table, 32 MiB into RAM, at every round
# (the file cut to 16 MiB). Those two run at a terminal (ptyrun): its mode
# comes back.
rm -rf $snap; rm $img; cp $dir/copy.img $img
start_guest /tmp/h1.out run --testdev -m 64 --api-socket $api -k "$GUESTS/sve-state.img"
"$VMM" snapshot --api-socket $api -o $snap --stop > snap1.out 2>&1 ||
	{ cat snap1.out; fail "snapshot failed"; }
wait_vmm
cp -r $snap $snap.vmm
start_guest /tmp/h2.out run --testdev --rng -m 64 --api-socket $api \
	-k "$GUESTS/virtio-far-ring.img"
"$VMM" snapshot --api-socket $api -o $snap.io --stop > snap2.out 2>&1 ||
	{ cat snap2.out; fail "snapshot failed"; }
wait_vmm

# truncate_under HOW DIR: once the restored VM listens, cuts its memory
# file and has the thread HOW names touch a page that is gone.
truncate_under() {
	for i in $(seq 30); do [ -S $api ] && break; sleep 1; done
	case $1 in
	guest) truncate -s 4096 $2/memory
	       "$VMM" resume --api-socket $api > /dev/null 2>&1 ;;
	vmm) truncate -s 4096 $2/memory
	     "$VMM" snapshot --api-socket $api -o $dir/never > /dev/null 2>&1 ;;
	io) truncate -s 16M $2/memory ;;
	esac
}
for how in guest vmm io; do
	s=$snap paused=--paused cut=4096
	[ $how = guest ] || s=$snap.$how
	[ $how = io ] && paused= cut=16777216
	if [ $how = guest ]; then
		start_vmm /tmp/t-$how.out restore $s --paused --api-socket $api
		truncate_under $how $s
		wait_vmm
		cp /tmp/t-$how.out truncated-$how
		expect_rc 1 truncated-$how
	else
		truncate_under $how $s &
		ptyrun "" "" "truncated under the running VM" -- \
			"$VMM" restore $s $paused --api-socket $api > truncated-$how 2>&1
		wait $!
		expect_line "ptyrun: status=1 restored=yes" truncated-$how
	fi
	expect_line "memory $s/memory: .*truncated under the running VM" truncated-$how
	[ "$(tr -d '\r' < truncated-$how | grep -c "^vmm: memory")" = 1 ] ||
		{ cat truncated-$how; fail "truncated-$how: not one line"; }
	[ "$(stat -c %s $s/memory)" = $cut ] || fail "the memory file changed"
	[ -S $api ] && fail "$how: the socket was left behind"
done
rm -rf $dir
