# profiles: sve-big sve-big@6.12
# timeout: 300
# Live migration within one host, over a unix socket (docs/migration.md):
# - refused in the check: the destination is given a disk of another size;
#   vmm migrate exits 3 with one line naming it, and the VM runs on here;
# - the sve-state guest (every Z, P and FFR register loaded, checked pass
#   after pass; vcpu 0 at 512 bits, vcpu 1 at 128) moves live to a second
#   vmm and finishes its window there with every register of both vcpus
#   intact; paused for 5 s before, it arrives paused, and its counter did
#   not move across the pause and the move;
# - the destination killed in the middle of the memory: the VM runs on here;
# - a guest that dirties 16 MiB as fast as it can moves with --advance-clock,
#   its memory checked word by word after the move, and its counter moved
#   by about the downtime (both ends under --seccomp=kill);
# - scripts/vm-migrate moves a VM live.
api=/tmp/src.sock
addr=unix:/tmp/mig.sock
disk=/tmp/mig-disk.img
other=/tmp/mig-other.img
rm -f $api $disk $other /tmp/mig.sock
dd if=/dev/zero of=$disk bs=1M count=1 2>/dev/null
dd if=/dev/zero of=$other bs=1M count=2 2>/dev/null

# finished_there SRC DST NAME KEY: after a move, the source vmm (its output
# /tmp/SRC.out, copied as SRC.out) exited 0 before its guest reported KEY,
# and the destination (/tmp/DST.out, copied as NAME.out) exited 0 with
# KEY=1 from the guest.
finished_there() {
	wait_vmm
	cp /tmp/$1.out $1.out
	[ "$RC" = 0 ] || fail "the source vmm exited $RC after the move, want 0"
	grep -q "$4" $1.out && fail "the guest finished on the source, before the move"
	VMM_PID=$RECV_PID
	wait_receiver
	cp /tmp/$2.out $3.out
	[ "$RECV_RC" = 0 ] || { tail $3.out; fail "the destination exited $RECV_RC, want 0"; }
	expect_report $4 1 $3.out
}

# ---- refused in the check: nothing sent but the state, the VM runs on ----
start_guest /tmp/src1.out run --testdev -c 2 -m 64 --api-socket $api -d $disk -k "$GUESTS/sve-state.img"
start_receiver /tmp/dst1.out $addr -d $other
migrate_vm refused.out $api $addr
expect_rc 3 refused.out
[ "$(wc -l < refused.out)" = 1 ] || { cat refused.out; fail "the refusal is not one line"; }
expect_line "the destination cannot take this VM: disk $other" refused.out
wait_receiver
cp /tmp/dst1.out dst-refused.out
[ "$RECV_RC" = 2 ] || fail "the refusing vmm receive exited $RECV_RC, want 2"
grep -q "^testdev:" dst-refused.out && fail "the refusing destination ran the guest"
[ "$("$VMM" status --api-socket $api)" = running ] || fail "the source is not running after a refusal"

# ---- the SVE guest moves; paused for 5 s first, it stays paused there ----
dapi=/tmp/dst.sock
start_receiver /tmp/dst2.out $addr --debug --api-socket $dapi
"$VMM" pause --api-socket $api > /dev/null || fail "pause failed"
sleep 5
migrate_vm moved.out $api $addr
expect_rc 0 moved.out
for _i in $(seq 50); do [ -S $dapi ] && break; sleep 0.1; done
[ "$("$VMM" status --api-socket $dapi)" = paused ] || fail "the VM paused here does not arrive paused"
sleep 2
"$VMM" resume --api-socket $dapi > /dev/null || fail "resume on the destination failed"
expect_line "^migrated to $addr: total [0-9]* ms, downtime [0-9]* ms, [0-9.]* MB sent" moved.out
finished_there src1 dst2 dst-moved sve_ok
# vcpu 1 kept the smallest length, vcpu 0 the largest: both intact
expect_report sve_ok1 1 dst-moved.out
expect_report vl1 128 dst-moved.out
[ "$(report vl src1.out)" = 512 ] || fail "vcpu 0's length is not 512"
downtime=$(sed -n 's/.*downtime \([0-9]*\) ms.*/\1/p' moved.out)
gap=$(report gap_us dst-moved.out)
echo "sve-state: downtime ${downtime} ms, largest counter step ${gap} us"
# Guest time stood still while the VM was paused (7 s and more, here and
# there): the largest step is the emulated host's scheduling noise (up to
# about 2.5 s under load), never the pause.
[ "$gap" -lt 5000000 ] || fail "the counter jumped ${gap} us across a move of a VM paused for 7 s"
rm -f $disk $other

# ---- the destination killed in the middle: the VM runs on here ----
start_guest /tmp/src3.out run --testdev -m 64 --seccomp=kill --api-socket $api -k "$GUESTS/memdirty.img"
start_receiver /tmp/dst3.out $addr --debug
"$VMM" migrate --api-socket $api --to $addr --max-downtime 0 > killed.out 2>&1 &
mpid=$!
# Stopped as soon as the memory starts to flow (the first round is 16 MiB),
# so the source waits on a full socket; then killed.
_i=0
until grep -q "receive: checked; memory follows" /tmp/dst3.out; do
	[ $_i -lt 600 ] || { cat /tmp/dst3.out; fail "the destination never checked the VM"; }
	sleep 0.05
	_i=$((_i + 1))
done
kill -STOP $RECV_PID
sleep 1
kill -9 $RECV_PID
wait_receiver
wait $mpid
rc=$?
cp /tmp/dst3.out dst-killed.out
[ "$rc" = 1 ] || { cat killed.out; fail "vmm migrate exited $rc when the destination died, want 1"; }
expect_line "the link failed.*; the VM runs on here" killed.out
[ "$("$VMM" status --api-socket $api)" = running ] || fail "the source is not running after the destination died"
before=$(grep -c "testdev: pass=" /tmp/src3.out)
sleep 3
[ "$(grep -c "testdev: pass=" /tmp/src3.out)" -gt "$before" ] || fail "the guest stopped after the failed move"

# ---- a guest that dirties fast moves anyway, with --advance-clock ----
start_receiver /tmp/dst4.out $addr --debug --seccomp=kill
migrate_vm dirty.out $api $addr --advance-clock
expect_rc 0 dirty.out
cat dirty.out
finished_there src3 dst4 dst-dirty mem_ok
downtime=$(sed -n 's/.*downtime \([0-9]*\) ms.*/\1/p' dirty.out)
gap=$(report gap_us dst-dirty.out)
echo "memdirty: downtime ${downtime} ms, largest counter step ${gap} us (--advance-clock)"
# The counter moved on by about the downtime.
[ "$gap" -ge $((downtime * 800)) ] || fail "the counter moved ${gap} us across a ${downtime} ms move with --advance-clock"

# ---- scripts/vm-migrate goes live: receive there, migrate here ----
start_guest /tmp/src5.out run --testdev -m 64 --api-socket $api -k "$GUESTS/sve-state.img"
VMM_TIMEOUT=90 run_vmm script.out "$SCRIPTS/vm-migrate" $api $addr
expect_rc 0 script.out
expect_line "^migrated to $addr: total" script.out
# the VM ran to its end in the script's foreground, on the destination
expect_report sve_ok 1 script.out
wait_vmm
cp /tmp/src5.out src5.out
[ "$RC" = 0 ] || fail "the source vmm exited $RC after vm-migrate, want 0"
if grep -q "sve_ok" src5.out; then fail "the guest finished on the source"; fi
