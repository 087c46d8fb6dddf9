# profiles: sve-big
# timeout: 300
# Console output never holds up the VM (docs/security.md). With stdout a
# full pipe nobody reads (pipehold fills it once the guest is up) and the
# guest writing on, each pause returns within the documented bound
# (1000 ms), and stop ends vmm, which gives up the output stdout did not
# take and reports how much it dropped. Twice: the flood guest on the
# PL011 (which under emulation writes a few hundred bytes a second, too
# few to fill the 64 KiB ring: tests/unit/test_term.c covers that), and
# Linux writing hvc0, the virtio console, as fast as it can, which fills
# the ring: vmm says once that output is being dropped. Last, stdout's
# reader goes away: vmm runs on (EPIPE, no SIGPIPE) and ends with 0.
api=/tmp/stall.sock
fifo=/tmp/stall.fifo
bound=1000

# pauses NAME: five pauses, each within the bound, and resumes.
pauses() {
	for _i in 1 2 3 4 5; do
		apiprobe $api send pause > $1-pause-$_i.out || { cat $1-pause-$_i.out; fail "$1: pause $_i: no reply"; }
		expect_line "^ok paused" $1-pause-$_i.out
		_ms=$(sed -n 's/^ms=//p' $1-pause-$_i.out)
		echo "$1: pause $_i: $_ms ms"
		[ "$_ms" -le $bound ] || fail "$1: pause $_i took $_ms ms, over the $bound ms bound"
		apiprobe $api send resume > $1-resume-$_i.out || fail "$1: resume $_i: no reply"
		sleep 1
	done
}

# stall NAME MARKER WAIT VMM_RUN_ARGS...: runs the guest with stdout a
# FIFO that stops being read once MARKER has come; waits for the line
# matching WAIT on vmm's stderr ("" for 3 s), then pauses it and stops it.
stall() {
	_name=$1 _marker=$2 _wait=$3
	shift 3
	rm -f $fifo
	mkfifo $fifo
	pipehold $fifo "$_marker" > /tmp/$_name.hold &
	_holder=$!
	"$VMM" run --api-socket $api "$@" < /dev/null > $fifo 2> /tmp/$_name.err &
	VMM_PID=$!
	wait_for /tmp/$_name.hold "^full with" 150
	tail -n 1 /tmp/$_name.hold
	if [ -n "$_wait" ]; then
		wait_for /tmp/$_name.err "$_wait" 150
	else
		sleep 3		# the guest writes on, into the ring
	fi
	pauses $_name
	apiprobe $api send stop > $_name-stop.out || fail "$_name: stop: no reply"
	wait_vmm
	cp /tmp/$_name.err $_name.err
	cp /tmp/$_name.hold $_name.hold
	kill $_holder
	[ "$RC" = 0 ] || { cat $_name.err; fail "$_name: vmm exited with $RC"; }
	expect_line "console: [0-9]* bytes of guest output dropped: stdout did not keep up" $_name.err
}

stall pl011 "testdev: ready=1" "" --testdev -m 64 -k "$GUESTS/flood.img"

# Paused while the ring is full and the guest floods on.
stall virtio "guest: flood=start" "guest output is being dropped" -k "$KERNEL" -i "$LINUX_INITRD" --console virtio \
	-p "console=ttyAMA0 quiet vmm.test=console-flood"
[ "$(grep -c 'guest output is being dropped' virtio.err)" = 1 ] ||
	fail "virtio: the drops are not reported exactly once"

# stdout's reader goes away: vmm gets EPIPE, not SIGPIPE, and runs on.
rm -f $fifo
mkfifo $fifo
head -c 2000 < $fifo > closed.out &
"$VMM" run --api-socket $api --testdev -m 64 -k "$GUESTS/flood.img" < /dev/null > $fifo 2> /tmp/closed.err &
VMM_PID=$!
_i=0
until [ "$(wc -c < closed.out)" -ge 2000 ]; do
	_i=$((_i + 1))
	[ $_i -lt 120 ] || fail "closed: the guest wrote less than 2000 bytes in 120 s"
	sleep 1
done
sleep 3		# the guest writes on, to a pipe without a reader
apiprobe $api send status > closed-status.out || { cp /tmp/closed.err closed.err; fail "closed: vmm died when stdout's reader left"; }
expect_line "^ok running" closed-status.out
apiprobe $api send stop > closed-stop.out || fail "closed: stop: no reply"
wait_vmm
cp /tmp/closed.err closed.err
[ "$RC" = 0 ] || { cat closed.err; fail "closed: vmm exited with $RC"; }
exit 0
