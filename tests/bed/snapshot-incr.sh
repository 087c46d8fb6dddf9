# profiles: sve-big
# timeout: 300
# Incremental snapshots (docs/snapshot.md): a full snapshot, then
# increments that hold only the pages dirtied since the one before.
#
# 1. The memtouch guest keeps rewriting pages of an 8 MiB buffer and
#    checking them against its ledger. s0 is full, s1 and s2 increments
#    (s2 of the VM paused), then sF a full snapshot of the same paused VM
#    (--stop). s2 restored (its chain followed down to s0) and saved again
#    without running gives sF's memory byte for byte and its registers
#    (snapshot-info --regs); resumed, the guest finishes its window with
#    every page as its ledger says (mem_ok=1). So the guest's own writes
#    reach the dirty log, and the chain restores bit-exact.
# 2. A wrong --base is refused with 2 and one line, and the VM runs on:
#    an older snapshot of the chain, a snapshot of another VM, a directory
#    that is no snapshot, a VM with no snapshot yet.
# 3. A broken chain (a base moved away, another snapshot in its place) is
#    refused by restore and restore --check with 2 and one line;
#    snapshot-info shows the chain, and names the break.
# 4. An idle guest with 8 MiB of data (memtouch-idle): an increment 1 s
#    after a full snapshot is a small fraction of it on disk (under a
#    tenth), and the figures are printed.
api=/tmp/api.sock
api2=/tmp/api2.sock
s=/tmp/snap-incr
rm -rf $s
mkdir -p $s

snap() {	# OUT ARGS...: vmm snapshot, its output in OUT, status in RC
	_o=$1
	shift
	"$VMM" snapshot "$@" > "$_o" 2>&1
	RC=$?
}

# ---- 1. base + 2 increments of a changing guest ----
start_vmm /tmp/run1.out run --testdev -c 1 -m 64 --debug --api-socket $api -k "$GUESTS/memtouch.img"
wait_for /tmp/run1.out "testdev: ready=1"
snap s0.out --api-socket $api -o $s/s0
[ "$RC" = 0 ] || { cat s0.out; fail "full snapshot s0: status $RC"; }
sleep 1
snap s1.out --api-socket $api -o $s/s1 --base $s/s0
[ "$RC" = 0 ] || { cat s1.out; fail "increment s1: status $RC"; }
sleep 1
"$VMM" pause --api-socket $api > /dev/null || fail "pause failed"
snap s2.out --api-socket $api -o $s/s2 --base $s/s1
[ "$RC" = 0 ] || { cat s2.out; fail "increment s2: status $RC"; }

# ---- 2. a wrong --base is refused; the VM is untouched ----
snap wrong1.out --api-socket $api -o $s/w1 --base $s/s0
[ "$RC" = 2 ] || { cat wrong1.out; fail "--base of an older snapshot: status $RC, want 2"; }
expect_line "is not this VM's latest snapshot" wrong1.out
[ "$(wc -l < wrong1.out)" = 1 ] || { cat wrong1.out; fail "more than one line"; }
snap wrong2.out --api-socket $api -o $s/w2 --base $s
[ "$RC" = 2 ] || { cat wrong2.out; fail "--base of a directory that is no snapshot: status $RC"; }
[ -e $s/w1 ] || [ -e $s/w2 ] && fail "a refused snapshot left its directory"
"$VMM" status --api-socket $api > status.out 2>&1
expect_line "paused" status.out
snap sF.out --api-socket $api -o $s/sF --stop
[ "$RC" = 0 ] || { cat sF.out; fail "full snapshot sF: status $RC"; }
wait_vmm
cp /tmp/run1.out run1.out
[ "$RC" = 0 ] || fail "the snapshotted vmm exited with $RC"
grep -q "mem_ok" run1.out && fail "the guest finished before the snapshots"
grep "increment\|snapshot .* written in\|snapshot memory" run1.out

[ -e $s/s1/memory ] && fail "an increment has a full memory file"
[ -f $s/s1/memory-incr ] || fail "s1 has no memory-incr"
"$VMM" snapshot-info $s/s2 > info2.out 2>&1 || { cat info2.out; fail "snapshot-info s2"; }
cat info2.out | grep -A3 "^id:"
expect_line "^chain: increment 2, [0-9]* of 16384 pages" info2.out
expect_line "^  base 1: $s/s1 (increment 1, id " info2.out
expect_line "^  base 2: $s/s0 (full, id " info2.out
"$VMM" snapshot-info $s/s0 > info0.out 2>&1 || { cat info0.out; fail "snapshot-info s0"; }
expect_line "^chain: full snapshot" info0.out

# The chain restored, saved again before it runs: sF exactly.
run_vmm check.out restore --check $s/s2
expect_rc 0 check.out
expect_line "^base 1: $s/s1 (increment 1)" check.out
expect_line "^base 2: $s/s0 (full)" check.out
start_vmm /tmp/run2.out restore $s/s2 --paused --debug --api-socket $api
for i in $(seq 30); do [ -S $api ] && break; sleep 1; done
snap sR.out --api-socket $api -o $s/sR
[ "$RC" = 0 ] || { cat sR.out /tmp/run2.out; fail "snapshot of the restored chain: status $RC"; }
cmp $s/sF/memory $s/sR/memory || fail "the restored chain's memory differs from sF's"
snapshot_regs $s/sF > regs-F
snapshot_regs $s/sR > regs-R
cmp regs-F regs-R || { diff regs-F regs-R | head; fail "registers differ after restoring the chain"; }
"$VMM" resume --api-socket $api > /dev/null || fail "resume failed"
wait_vmm
cp /tmp/run2.out run2.out
[ "$RC" = 0 ] || { tail run2.out; fail "the restored vmm exited with $RC"; }
expect_line "increments laid over" run2.out
expect_report mem_ok 1 run2.out
echo "memtouch: $(report rounds run2.out) rounds, every page as its ledger says"

# ---- 3. broken chains ----
mv $s/s1 $s/s1-moved
run_vmm broken.out restore $s/s2
expect_rc 2 broken.out
expect_line "broken chain: base $s/s1 " broken.out
[ "$(wc -l < broken.out)" = 1 ] || { cat broken.out; fail "more than one line"; }
run_vmm broken-check.out restore --check $s/s2
expect_rc 2 broken-check.out
"$VMM" snapshot-info $s/s2 > info-broken.out 2>&1 && fail "snapshot-info of a broken chain exited 0"
expect_line "^chain: increment 2" info-broken.out
expect_line "broken chain" info-broken.out
# another snapshot where s1 was: refused by id
cp -a $s/sF $s/s1
run_vmm other.out restore $s/s2
expect_rc 2 other.out
expect_line "is another snapshot (id " other.out
rm -rf $s/s1
mv $s/s1-moved $s/s1

# ---- 4. the idle guest: an increment is a small fraction of the full ----
start_vmm /tmp/run3.out run --testdev -c 1 -m 256 --debug --api-socket $api2 -k "$GUESTS/memtouch-idle.img"
wait_for /tmp/run3.out "testdev: ready=1"
snap none.out --api-socket $api2 -o $s/i1 --base $s/s2
[ "$RC" = 2 ] || { cat none.out; fail "--base on a VM with no snapshot: status $RC"; }
expect_line "no snapshot to build on" none.out
snap i0.out --api-socket $api2 -o $s/i0
[ "$RC" = 0 ] || { cat i0.out; fail "full snapshot i0: status $RC"; }
snap other-vm.out --api-socket $api2 -o $s/i1 --base $s/s2
[ "$RC" = 2 ] || { cat other-vm.out; fail "--base of another VM's snapshot: status $RC"; }
sleep 1
snap i1.out --api-socket $api2 -o $s/i1 --base $s/i0 --stop
[ "$RC" = 0 ] || { cat i1.out; fail "increment i1: status $RC"; }
wait_vmm
cp /tmp/run3.out run3.out
full_kib=$(du -k $s/i0/memory | cut -f1)
incr_kib=$(du -k $s/i1/memory-incr | cut -f1)
full_ms=$(sed -n "s|.*snapshot $s/i0 written in \([0-9.]*\) ms.*|\1|p" run3.out)
incr_ms=$(sed -n "s|.*snapshot $s/i1 written in \([0-9.]*\) ms.*|\1|p" run3.out)
pages=$(sed -n 's/.*snapshot increment 1: \([0-9]*\) of.*/\1/p' run3.out)
echo "idle 256 MiB guest with 8 MiB of data: full ${full_kib} KiB in ${full_ms} ms; increment ${incr_kib} KiB (${pages} dirty pages) in ${incr_ms} ms"
[ -n "$pages" ] || fail "no increment figures in run3.out"
[ "$full_kib" -ge 8192 ] || fail "the full snapshot (${full_kib} KiB) lacks the guest's 8 MiB"
[ $((incr_kib * 10)) -lt "$full_kib" ] || fail "the idle increment (${incr_kib} KiB) is not under a tenth of the full snapshot (${full_kib} KiB)"
run_vmm check-i1.out restore --check $s/i1
expect_rc 0 check-i1.out
rm -rf $s
