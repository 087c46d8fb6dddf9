# profiles: sve-big
# timeout: 240
# seccomp filters per thread kind (docs/security.md). vmm's own filter code
# and lists, built into seccomp-probe: a call outside a kind's list kills
# the process with SIGSYS under kill, is logged by the kernel and allowed
# under log, and nothing happens under off. A running vmm has a filter on
# every thread (each named after its kind), and no-new-privs, by default
# (kill) and unless --seccomp=off; a Linux guest with virtio devices runs
# under --seccomp=log without a single logged call.
# Guest RAM is MADV_MERGEABLE only with --ksm.

# audit lines for seccomp since the last call: "COMM SYSCALL CODE" each
seen=0
new_seccomp_lines() {
	dmesg | grep 'type=1326' > /tmp/seccomp-all
	tail -n +$((seen + 1)) /tmp/seccomp-all |
		sed -n 's/.*comm="\([^"]*\)".*syscall=\([0-9]*\).*code=\(0x[0-9a-f]*\).*/\1 \2 \3/p'
	seen=$(wc -l < /tmp/seccomp-all)
}
new_seccomp_lines > /dev/null
# socket is 198 on arm64; no kind allows it
for kind in main vcpu io api console; do
	seccomp-probe kill $kind > probe-kill-$kind 2>&1
	rc=$?
	[ $rc = 159 ] || fail "kill $kind: status $rc, want 159 (SIGSYS)"
	grep -q survived probe-kill-$kind && fail "kill $kind: the probe went on after socket()"
	new_seccomp_lines > lines-kill-$kind
	# the probe's thread takes its kind's name (vmm-vcpu...), as vmm's do
	comm=vmm-$kind
	[ $kind = main ] && comm=seccomp-probe
	grep -q "^$comm 198 0x80000000$" lines-kill-$kind ||
		fail "kill $kind: no audit line for socket killing the process"
done
seccomp-probe log vcpu > probe-log 2>&1 || fail "log: status $?, want 0"
expect_line "probe: survived" probe-log
new_seccomp_lines > lines-log
grep -q "^vmm-vcpu 198 0x7ffc0000$" lines-log || fail "log: socket was not logged"
seccomp-probe off vcpu > probe-off 2>&1 || fail "off: status $?, want 0"
expect_line "probe: survived" probe-off
new_seccomp_lines > lines-off
[ -s lines-off ] && fail "off: the kernel logged calls: $(cat lines-off)"

run_vmm bad run --seccomp=on -k "$GUESTS/hello.img"
expect_rc 2 bad
expect_line "seccomp on: expected off, log or kill" bad

# A running vmm: its threads filtered (Seccomp: 2) with no-new-privs.
# /proc/PID/task/TID/status has "NoNewPrivs:\t1" and "Seccomp:\t2".
thread_states() {
	for t in /proc/$1/task/*; do
		grep -E '^(NoNewPrivs|Seccomp):' $t/status | tr -d ' \t' | tr '\n' ' '
		echo
	done | sort | uniq -c
}
start_linux() {	# OUT ARGS...: a ticking Linux guest with a disk, rng and console
	_o=/tmp/seccomp-$1
	shift
	rm -f /tmp/disk.img
	dd if=/dev/zero of=/tmp/disk.img bs=1M count=4 2>/dev/null
	start_vmm $_o run -k "$KERNEL" -i "$LINUX_INITRD" -m 192 \
		-p "console=ttyAMA0 quiet vmm.test=ticker" -d /tmp/disk.img --rng \
		--api-socket /tmp/seccomp.sock "$@"
	wait_for $_o "guest: tick=2" 90
}
# No --seccomp: kill, the default.
for mode in default off; do
	if [ $mode = default ]; then
		start_linux run-$mode.out
	else
		start_linux run-$mode.out --seccomp=$mode
	fi
	thread_states $VMM_PID > threads-$mode
	nthreads=$(ls /proc/$VMM_PID/task | wc -l)
	cat /proc/$VMM_PID/task/*/comm | sort | uniq -c > comms-$mode
	# the main thread, the vcpu, the disk's and the rng's I/O threads, the
	# control socket's and the console writer: each named after its kind
	[ "$nthreads" -ge 6 ] || fail "$mode: $nthreads threads, want 6 or more"
	for comm in vmm vmm-vcpu vmm-io vmm-api vmm-console; do
		grep -q " $comm$" comms-$mode || fail "$mode: no thread $comm: $(cat comms-$mode)"
	done
	if [ $mode = default ]; then
		want="NoNewPrivs:1 Seccomp:2"
	else
		want="NoNewPrivs:0 Seccomp:0"
	fi
	grep -q "^ *$nthreads $want *$" threads-$mode ||
		fail "$mode: not all $nthreads threads have $want: $(cat threads-$mode)"
	grep -q "^VmFlags:.* mg" /proc/$VMM_PID/smaps && fail "$mode: guest RAM is mergeable without --ksm"
	kill -TERM $VMM_PID
	wait_vmm
	cp /tmp/seccomp-run-$mode.out .
	[ "$RC" = 143 ] || fail "$mode: SIGTERM gave status $RC, want 143"
done

# --seccomp=log: the same guest, paused, resumed, snapshotted, stopped
# through the socket, makes no call outside its threads' lists.
new_seccomp_lines > /dev/null
start_linux run-log.out --seccomp=log --ksm
grep -q "^VmFlags:.* mg" /proc/$VMM_PID/smaps || fail "--ksm: no mergeable mapping"
"$VMM" pause --api-socket /tmp/seccomp.sock > pause.out 2>&1 || fail "pause failed"
"$VMM" resume --api-socket /tmp/seccomp.sock > resume.out 2>&1 || fail "resume failed"
rm -rf /tmp/seccomp-snap
"$VMM" snapshot --api-socket /tmp/seccomp.sock -o /tmp/seccomp-snap > snap.out 2>&1 ||
	{ cat snap.out; fail "snapshot failed"; }
"$VMM" stop --api-socket /tmp/seccomp.sock > stop.out 2>&1 || fail "stop failed"
wait_vmm
cp /tmp/seccomp-run-log.out .
[ "$RC" = 0 ] || fail "log: vmm exited with $RC"
new_seccomp_lines > lines-vmm-log
grep -q '^vmm' lines-vmm-log && fail "log: vmm made calls outside its lists: $(sort -u lines-vmm-log | tr '\n' ';')"
rm -rf /tmp/seccomp-snap /tmp/disk.img
exit 0
