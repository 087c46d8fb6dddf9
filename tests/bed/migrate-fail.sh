# profiles: sve-big
# timeout: 180
# Live migration's failure paths (docs/migration.md, "Never two copies"),
# within one host over unix sockets: tests/progs/migrelay sits between
# vmm migrate and vmm receive and breaks the link on purpose. The guest is
# memdirty (16 MiB rewritten and checked word by word, pass after pass).
# Before the commit, the source VM runs on and vmm migrate exits 1:
# - a byte flipped in guest memory (a pages section): vmm receive exits 2
#   with one line naming the section the relay damaged, and leaves no
#   socket behind;
# - the stream cut in the middle of a pages section: the same, "truncated";
# - a byte flipped in the final batch's registers (the vcpu section): the
#   same as in memory;
# - --abort-above: memdirty-small (256 KiB rewritten) behind a link the
#   relay slows to 256 KiB/s, with --max-downtime 0 --abort-above 1: the
#   move gives up when pre-copy ends (30 rounds, or a round that leaves no fewer pages); the destination ends with 2, having
#   run nothing.
# After the commit the source never runs the VM again: it exits 1 saying
# the VM may be running on the destination, whether the commit was lost
# (the destination then runs nothing) or the destination's answer was
# (the destination runs the VM, which goes on from where it was).
# A link that goes silent (open, no byte moving; migrelay stall) fails
# after 15 s: before the commit the VM runs on, after it the source
# stays stopped and ends.
api=/tmp/src.sock
relay=/tmp/relay.sock
dst=/tmp/dst.sock
dapi=/tmp/dapi.sock
rm -f $api $relay $dst $dapi

# start_relay [-r KBPS] ACTION...: migrelay from unix:$relay to $dst in the
# background (pid in RELAY_PID), once it listens.
start_relay() {
	_rate=
	[ "$1" = -r ] && { _rate="-r $2"; shift 2; }
	# shellcheck disable=SC2086
	migrelay $_rate $relay $dst "$@" 2> /tmp/relay.err &
	RELAY_PID=$!
	_i=0
	until [ -S $relay ]; do
		[ $_i -lt 100 ] || { cat /tmp/relay.err; fail "migrelay does not listen"; }
		sleep 0.1
		_i=$((_i + 1))
	done
}

# wait_relay OUT: waits for migrelay, which must have done its fault (status 0).
wait_relay() {
	wait $RELAY_PID
	_rc=$?
	cp /tmp/relay.err "$1"
	[ $_rc = 0 ] || { cat "$1"; fail "migrelay exited $_rc: the fault did not happen"; }
}

# The stream byte at which migrelay's fault section starts, as vmm receive counts.
relay_at() {
	sed -n 's/.* at stream byte \([0-9]*\).*/\1/p' "$1" | head -n 1
}

one_line() {
	[ "$(wc -l < "$1")" = 1 ] || { cat "$1"; fail "$1: not one line"; }
}

# expect_refused OUT PATTERN: vmm receive ended with 2, one line matching
# PATTERN, and left neither its listening socket nor its --api-socket.
expect_refused() {
	wait_receiver
	cp /tmp/dst.out "$1"
	[ "$RECV_RC" = 2 ] || { cat "$1"; fail "vmm receive exited $RECV_RC on a broken stream, want 2"; }
	one_line "$1"
	expect_line "$2" "$1"
	[ -e $dst ] && fail "vmm receive left its socket $dst"
	[ -e $dapi ] && fail "vmm receive created $dapi, though it ran no VM"
	return 0
}

# goes_on OUT: the guest reports more passes within 20 s, none bad.
goes_on() {
	_n=$(grep -c "^testdev: pass=" "$1")
	_i=0
	until [ "$(grep -c "^testdev: pass=" "$1")" -gt "$_n" ]; do
		[ $_i -lt 200 ] || { tail -n 5 "$1"; fail "$1: the guest made no progress in 20 s"; }
		sleep 0.1
		_i=$((_i + 1))
	done
	grep -q "mem_ok=0" "$1" && { grep "bad_" "$1"; fail "$1: the guest found its memory damaged"; }
	return 0
}

# runs_on WHAT: the source VM runs on after a failure before the commit.
runs_on() {
	[ "$("$VMM" status --api-socket $api)" = running ] || fail "the source is not running after: $1"
	goes_on /tmp/src1.out
}

start_vmm /tmp/src1.out run --testdev -m 64 --api-socket $api -k "$GUESTS/memdirty.img"
wait_for /tmp/src1.out "testdev: ready=1"

# ---- a byte of guest memory flipped on the link ----
start_receiver /tmp/dst.out unix:$dst --api-socket $dapi
start_relay flip 0x40 20 100
migrate_vm flip-mem.out $api unix:$relay
wait_relay relay-flip-mem.err
expect_rc 1 flip-mem.out
one_line flip-mem.out
expect_line "unix:$relay: the link failed: .*; the VM runs on here" flip-mem.out
expect_refused dst-flip-mem.out "^vmm: receive: stream: section id 64 at byte $(relay_at relay-flip-mem.err): payload CRC mismatch$"
runs_on "a damaged pages section"

# ---- the stream cut in the middle of a pages section ----
start_receiver /tmp/dst.out unix:$dst --api-socket $dapi
start_relay cut 0x40 30 5000
migrate_vm cut.out $api unix:$relay
wait_relay relay-cut.err
expect_rc 1 cut.out
one_line cut.out
expect_line "unix:$relay: the link failed: .*; the VM runs on here" cut.out
expect_refused dst-cut.out "^vmm: receive: stream: truncated in the section at byte $(relay_at relay-cut.err)$"
runs_on "a cut stream"

# ---- a byte of a register flipped: the final batch's vcpu section ----
# (vcpu section #1 is the check's, #2 the final batch's, of the paused VM)
start_receiver /tmp/dst.out unix:$dst --api-socket $dapi
start_relay flip 3 2 64
migrate_vm flip-regs.out $api unix:$relay
wait_relay relay-flip-regs.err
expect_rc 1 flip-regs.out
one_line flip-regs.out
# the source either hears the refusal or finds the link closed first
expect_line "runs on here" flip-regs.out
expect_refused dst-flip-regs.out "^vmm: receive: stream: section id 3 at byte $(relay_at relay-flip-regs.err): payload CRC mismatch$"
runs_on "a damaged vcpu section"

"$VMM" stop --api-socket $api > /dev/null || fail "stop failed"
wait_vmm
cp /tmp/src1.out src1.out
[ "$RC" = 0 ] || fail "the source vmm exited $RC after vmm stop, want 0"

# ---- --abort-above: the downtime target is out of reach ----
# memdirty-small rewrites its 256 KiB again and again; behind a link of
# 256 KiB/s each round (about 1 s) finds all of it dirty again. (At 1 MiB/s,
# rounds of a quarter second, one round in a few runs found nothing dirty:
# the guest's vcpu got no time in the loaded emulated host, and the move
# converged.)
start_vmm /tmp/src2.out run --testdev -m 64 --api-socket $api -k "$GUESTS/memdirty-small.img"
wait_for /tmp/src2.out "testdev: ready=1"
start_receiver /tmp/dst.out unix:$dst --api-socket $dapi
start_relay -r 256 pass
migrate_vm abort.out $api unix:$relay --max-downtime 0 --abort-above 1
wait_relay relay-abort.err
expect_rc 1 abort.out
one_line abort.out
expect_line "after [0-9]* rounds the downtime would still be about [0-9]* ms, above --abort-above 1 (the guest dirties memory faster than the link sends it); the VM runs on here$" abort.out
expect_refused dst-abort.out "^vmm: receive: stream: truncated at byte [0-9]*: the source stopped sending$"
[ "$("$VMM" status --api-socket $api)" = running ] || fail "the source is not running after an aborted move"
goes_on /tmp/src2.out
cat abort.out
"$VMM" stop --api-socket $api > /dev/null || fail "stop failed"
wait_vmm
cp /tmp/src2.out src2-abort.out

# ---- after the commit: the source never resumes ----
# expect_stopped OUT SRC_OUT: vmm migrate said so, and the source vmm ended
# with 1 within 10 s (a source that resumed would run on), its guest
# reporting no pass after vmm migrate's answer.
expect_stopped() {
	_n=$(grep -c "^testdev: pass=" "$2")
	expect_rc 1 "$1"
	one_line "$1"
	expect_line "unix:$relay: the link failed after the commit: the VM may be running on the destination; it stays stopped here$" "$1"
	_i=0
	while kill -0 "$VMM_PID" 2>/dev/null; do
		[ $_i -lt 100 ] || fail "the source vmm still runs after a link failure past the commit"
		sleep 0.1
		_i=$((_i + 1))
	done
	wait_vmm
	[ "$RC" = 1 ] || fail "the source vmm exited $RC after a link failure past the commit, want 1"
	[ -e $api ] && fail "the source vmm left its socket"
	[ "$(grep -c "^testdev: pass=" "$2")" = "$_n" ] || fail "the source's guest ran after the commit"
	return 0
}

# The commit lost: nothing runs anywhere, and the source still does not resume.
start_vmm /tmp/src2.out run --testdev -m 64 --api-socket $api -k "$GUESTS/memdirty-small.img"
wait_for /tmp/src2.out "testdev: ready=1"
start_receiver /tmp/dst.out unix:$dst --api-socket $dapi
start_relay lose-commit
migrate_vm lose-commit.out $api unix:$relay
wait_relay relay-lose-commit.err
expect_stopped lose-commit.out /tmp/src2.out
cp /tmp/src2.out src2.out
expect_refused dst-lose-commit.out "^vmm: receive: stream: truncated at byte $(relay_at relay-lose-commit.err): the source stopped sending$"

# moved_on SRC_OUT NAME: the destination runs the VM, which goes on from the
# pass where the source left it; then stopped there.
moved_on() {
	for _i in $(seq 50); do [ -S $dapi ] && break; sleep 0.1; done
	[ "$("$VMM" status --api-socket $dapi)" = running ] || fail "the destination does not run the VM"
	goes_on /tmp/dst.out
	goes_on /tmp/dst.out
	_last=$(report pass "$1")
	_first=$(reports pass /tmp/dst.out | head -n 1)
	echo "$2: the source's last pass $_last, the destination's first $_first"
	[ "$_first" -gt "$_last" ] || fail "the destination's passes ($_first) do not follow the source's ($_last)"
	"$VMM" stop --api-socket $dapi > /dev/null || fail "stop on the destination failed"
	wait_receiver
	cp /tmp/dst.out "dst-$2.out"
	[ "$RECV_RC" = 0 ] || { tail "dst-$2.out"; fail "the destination exited $RECV_RC after vmm stop, want 0"; }
}

# The answer lost: the destination runs the VM, the source has ended.
start_vmm /tmp/src3.out run --testdev -m 64 --api-socket $api -k "$GUESTS/memdirty-small.img"
wait_for /tmp/src3.out "testdev: ready=1"
goes_on /tmp/src3.out
start_receiver /tmp/dst.out unix:$dst --api-socket $dapi
start_relay lose-reply
migrate_vm lose-reply.out $api unix:$relay
wait_relay relay-lose-reply.err
expect_stopped lose-reply.out /tmp/src3.out
cp /tmp/src3.out src3.out
moved_on src3.out lose-reply

# ---- a link that goes silent: open, but no byte moves ----
# Before the commit (the source stuck in a send): vmm migrate gives up
# after 15 s, the VM runs on; the source closes the link, so the
# destination ends with 2.
start_vmm /tmp/src1.out run --testdev -m 64 --api-socket $api -k "$GUESTS/memdirty.img"
wait_for /tmp/src1.out "testdev: ready=1"
start_receiver /tmp/dst.out unix:$dst --api-socket $dapi
start_relay stall 0x40 20 0
migrate_vm stall.out $api unix:$relay
wait_relay relay-stall.err
expect_rc 1 stall.out
one_line stall.out
expect_line "unix:$relay: the link failed: no byte moved for 15 s; the VM runs on here$" stall.out
expect_refused dst-stall.out "^vmm: receive: stream: truncated in the section at byte $(relay_at relay-stall.err)$"
runs_on "a silent link"

# After the commit (the answer never comes): the source waits 15 s, stays
# stopped and ends with 1; the destination runs the VM. (A fresh guest:
# memdirty's 40 s window would end on the destination meanwhile.)
"$VMM" stop --api-socket $api > /dev/null || fail "stop failed"
wait_vmm
cp /tmp/src1.out src4-stall.out
start_vmm /tmp/src1.out run --testdev -m 64 --api-socket $api -k "$GUESTS/memdirty-small.img"
wait_for /tmp/src1.out "testdev: ready=1"
start_receiver /tmp/dst.out unix:$dst --api-socket $dapi
start_relay stall-reply
migrate_vm stall-reply.out $api unix:$relay
wait_relay relay-stall-reply.err
expect_stopped stall-reply.out /tmp/src1.out
cp /tmp/src1.out src5.out
moved_on src5.out stall-reply
