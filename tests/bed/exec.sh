# profiles: sve-big nosve
# timeout: 1500
# vmm exec: a program in a throwaway VM, its exit status from the exit
# doorbell (never from the console), stdout and stderr apart, stdin packed,
# vmm's own outcomes 124..127, and --each-vl.
EXEC=/opt/vmm/build/exec

# ex NAME ARGS...: vmm exec with the test bed's kernel; stdout to NAME.out,
# stderr to NAME.err (on tmpfs first), the status to RC, seconds to SECS.
ex() {
	_n=$1
	shift
	_t0=$(date +%s)
	timeout "${VMM_TIMEOUT:-240}" "$VMM" exec -k "$KERNEL" "$@" > /tmp/ex.out 2> /tmp/ex.err < /dev/null
	RC=$?
	SECS=$(($(date +%s) - _t0))
	cp /tmp/ex.out "$_n.out"
	cp /tmp/ex.err "$_n.err"
}

expect_status() {
	[ "$RC" = "$2" ] || { tail -n 20 "$1.out" "$1.err"; fail "$1: vmm exec status $RC, want $2"; }
}

# stderr is exactly one line matching a pattern
expect_one_line() {
	[ "$(wc -l < "$1.err")" = 1 ] || { cat "$1.err"; fail "$1: stderr is not one line"; }
	expect_line "$2" "$1.err"
}

if [ "$PROFILE" = nosve ]; then
	ex each-nosve --each-vl -- sve-probe
	expect_status each-nosve 125
	expect_one_line each-nosve "exec: --each-vl: this host has no SVE"
	# scripts/ci-example.sh runs the program once, without SVE
	VMM_KERNEL=$KERNEL "$SCRIPTS/ci-example.sh" "$EXEC/status" exit 3 > ci.out 2> ci.err
	RC=$?
	expect_status ci 3
	expect_line "this runner has no SVE" ci.err
	exit 0
fi

# Failures before any VM: one line each, and fast.
ex missing -- no-such-program
expect_status missing 127
expect_one_line missing "no-such-program"
ex missing-lib -- "$EXEC/needs-missing" exit 0
expect_status missing-lib 127
expect_one_line missing-lib "libvmm-missing.so.1 (needed by $EXEC/needs-missing): not found"
ex noexec -- /opt/vmm/tests/bed/lib.sh
expect_status noexec 126
expect_one_line noexec "lib.sh"
"$VMM" exec -k /no/such/Image -- "$EXEC/status" exit 0 > nokernel.out 2> nokernel.err
RC=$?
expect_status nokernel 125
expect_one_line nokernel "kernel /no/such/Image (-k): No such file"
VMM_KERNEL=/no/such/Image "$VMM" exec -- "$EXEC/status" exit 0 > nokernel-env.out 2> nokernel-env.err
RC=$?
expect_status nokernel-env 125
expect_one_line nokernel-env 'kernel /no/such/Image ($VMM_KERNEL)'
yes 'not a kernel' | head -c 4096 > notakernel
"$VMM" exec -k notakernel -- "$EXEC/status" exit 0 > badkernel.out 2> badkernel.err
RC=$?
expect_status badkernel 125
expect_one_line badkernel "kernel notakernel: not an arm64 Image"
# a stdin that never ends: --timeout still ends vmm (no VM yet)
mkfifo /tmp/exec-fifo
_t0=$(date +%s)
"$VMM" exec -k "$KERNEL" --timeout 3 -- cat 3<>/tmp/exec-fifo < /tmp/exec-fifo > stdin-open.out 2> stdin-open.err
RC=$?
SECS=$(($(date +%s) - _t0))
expect_status stdin-open 124
expect_one_line stdin-open "timeout of 3 s passed while reading stdin"
[ "$SECS" -le 10 ] || fail "stdin-open: took $SECS s, want about 3"
ex usage --timeout x -- true
expect_status usage 125
expect_one_line usage "exec: --timeout x"

# A static and a dynamic program: 0, 1 and 42. Each prints a forged
# "testdev: vmmexit=..." status line of 0 first, which changes nothing.
for prog in status status-dyn; do
	for code in 0 1 42; do
		ex "$prog-$code" -- "$EXEC/$prog" exit "$code"
		expect_status "$prog-$code" "$code"
		expect_line "^testdev: vmmexit=" "$prog-$code.out"
		[ -s "$prog-$code.err" ] && { cat "$prog-$code.err"; fail "$prog-$code: stderr is not empty"; }
	done
done

# Killed by a signal: 128 + N, one line.
ex signal -- "$EXEC/status" signal 11
expect_status signal 139
expect_one_line signal "killed by signal 11"

# stdout and stderr apart, through a busybox applet (a link to busybox);
# stdout binary-safe: every byte value, 16 times
ex split -f "$EXEC/status:/bin/status" -- sh -c '/bin/status bytes; echo to-err >&2; exit 5'
expect_status split 5
cmp split.out "$EXEC/bytes" || fail "split: stdout differs from every byte value"
[ "$(cat split.err)" = to-err ] || fail "split: stderr is '$(cat split.err)'"

# stdin: a pipe
echo hi | "$VMM" exec -k "$KERNEL" -- cat > stdin.out 2> stdin.err
RC=$?
expect_status stdin 0
[ "$(cat stdin.out)" = hi ] || fail "stdin: cat printed '$(cat stdin.out)'"

# stdin of every byte value; -e, -f, the working directory, and the default
# vector length (the VM's largest)
echo packed-data > data.txt
"$VMM" exec -k "$KERNEL" -e FOO=bar -f data.txt -f data.txt:sub/copy.txt -f "$EXEC/status:/bin/status" \
	-- sh -c '/bin/status info; /bin/status stdin; read a < data.txt; read b < sub/copy.txt; echo "$a"; echo "$b"' \
	< "$EXEC/bytes" > info.out 2> info.err
RC=$?
expect_status info 0
expect_line "$(cat "$GUESTS/exec-stdin.expect")" info.out
expect_line "^vl=512 default=512" info.out
expect_line "^cwd=/job" info.out
expect_line "^env: FOO=bar" info.out
[ "$(grep -c packed-data info.out)" = 2 ] || fail "info: the -f files are not in /job"

# --timeout counts from vmm's start: sleep 100 ends in about 10 s with 124
ex timeout --timeout 10 -- sleep 100
expect_status timeout 124
expect_one_line timeout "timeout of 10 s passed"
[ "$SECS" -ge 9 ] && [ "$SECS" -le 30 ] || fail "timeout: took $SECS s, want about 10"

# --each-vl: 128, 256 and 512, each the maximum and the default length
ex each --each-vl -- sve-probe
expect_status each 0
[ "$(sed -n 's/^guest: sve_vls=//p' each.out | tr '\n' ' ')" = "128 128,256 128,256,512 " ] ||
	{ cat each.out; fail "each: the runs did not see 128, 256, 512 in turn"; }
[ "$(sed -n 's/^guest: sve_default_vl=//p' each.out | tr '\n' ' ')" = "16 32 64 " ] ||
	{ cat each.out; fail "each: the default lengths are not 16, 32, 64 bytes"; }
for vl in 128 256 512; do
	expect_line "^vmm: exec: VL $vl: passed, status 0" each.err
done

# --jobs 3 at once; one failing length is named, and sets the status (the
# sysctl file is read in one go: the shell's read takes a byte at a time)
ex each-jobs --each-vl --jobs 3 -f /opt/vmm/build/linux/sve-probe:/bin/sve-probe \
	-f "$EXEC/status:/bin/status" -- sh -c \
	'/bin/sve-probe; case "$(/bin/status info)" in *default=512*) exit 7 ;; esac; exit 0'
expect_status each-jobs 7
expect_line "^vmm: exec: VL 512: failed, status 7" each-jobs.err
expect_line "^vmm: exec: VL 128: passed" each-jobs.err
expect_line "^vmm: exec: VL 256: passed" each-jobs.err
expect_line "^vmm: exec: failed at VL 512$" each-jobs.err
# each run's output stays whole: its lines together, in any order of runs
[ "$(awk -F= '/^guest: sve_vls=/ { v = $2 } /^guest: sve_default_vl=/ { print v " " $2 }' each-jobs.out |
	sort | tr '\n' ' ')" = \
	"128 16 128,256 32 128,256,512 64 " ] || { cat each-jobs.out; fail "each-jobs: runs mixed or wrong"; }
