# profiles: sve-big sve-full
# timeout: 300
# vmm exec's guest init (exec/init.c), booted with today's vmm run: the
# initramfs is build/guest/exec-base.cpio (the init, a static and a
# dynamic test program packed by the cpio builder and elfdeps) followed by
# one job archive. The init reports through the exit doorbell protocol;
# here the job points it at the test doorbell (--testdev), which prints
# "testdev: vmmexit=WORD". The status word is magic "VMMX" << 32,
# kind << 16, value (include/vmm/exec-status.h); vmm exec will read it
# from a doorbell of its own.

# exec_job NAME: boots the init with job NAME; the status word goes to WORD.
exec_job() {
	cat "$GUESTS/exec-base.cpio" "$GUESTS/exec-job-$1.cpio" > /tmp/exec.cpio
	run_vmm "$1.out" run --testdev -k "$KERNEL" -i /tmp/exec.cpio -p "console=ttyAMA0 quiet"
	expect_rc 0 "$1.out"
	# the doorbell's line is the last one: the init writes it after the
	# program's output is drained
	WORD=$(report vmmexit "$1.out")
	[ -n "$WORD" ] || { tail -n 20 "$1.out"; fail "$1: no status word"; }
	[ $((WORD >> 32)) = $((0x564d4d58)) ] || fail "$1: status word $WORD has no VMMX magic"
}

# expect_status NAME KIND VALUE
expect_status() {
	kind=$(((WORD >> 16) & 255)) value=$((WORD & 65535))
	[ "$kind $value" = "$2 $3" ] || { tail -n 20 "$1.out"; fail "$1: status kind $kind value $value, want $2 $3"; }
}

# On every profile: the SVE default length is the VM's largest.
max=$(profile_sve_set | tr ',' '\n' | tail -n 1)
exec_job info
expect_status info 1 0
expect_line "vl=$max default=$max" info.out
expect_line "^cwd=/job" info.out
expect_line "^env: FOO=bar" info.out
[ "$PROFILE" = sve-big ] || exit 0

# exited 42 (kind 1), after printing a forged status line of 0
exec_job exit42
expect_status exit42 1 42
# killed by SIGSEGV (kind 2, signal 11)
exec_job signal
expect_status signal 2 11
# exec failed (kind 3): ENOENT (2) and EACCES (13)
exec_job notfound
expect_status notfound 3 2
exec_job noexec
expect_status noexec 3 13
# a dynamic program with the loader and libc elfdeps packed
exec_job dynamic
expect_status dynamic 1 7
# stdin from a file of every byte value, read to its end
exec_job stdin
expect_status stdin 1 0
expect_line "$(cat "$GUESTS/exec-stdin.expect")" stdin.out
