# profiles: sve-small@6.12:1 max@6.12:2 sve-small@6.12:3 sve-small:3
# timeout: 400
# A snapshot carries the CPU plan its VM was started with and the CPU its
# guest saw (docs/snapshot.md, "The CPU plan"), and moves to another host
# whose own ID registers differ but can be written (docs/caps.md).
# Phase 1: sve-small (6.12, SVE {128,256}) leaves its caps in /xfer.
# Phase 2: max (6.12, SVE {128..2048}, SVE2) plans with them and a copy of
# its own caps without SVE2: SVE {128,256}, no sve2. A VM under the plan is
# snapshotted; snapshot-info names the plan and the guest's CPU (sve, no
# sve2).
# Phase 3: on sve-small (6.12) the saved ID_AA64ZFR0_EL1 (SVEver 0) is not
# the host's (SVEver 1, a qemu max CPU) but KVM can write it: --check says
# yes, the restore applies it (a snapshot of the restored VM, taken before
# it ran, has the saved value and the plan again) and the guest finishes
# with its SVE registers intact. On sve-small (6.1, no writable ID
# register) --check and restore refuse with exit 3, one line naming the
# field and both values, before any VM.
api=/tmp/api.sock
x=/xfer/snapshot-plan
s=/tmp/snap-plan
case "$(uname -r)" in 6.1.*) kernel=6.1 ;; *) kernel=6.12 ;; esac
mkdir -p $x
rm -rf $s; mkdir -p $s

if [ "$PHASE" = 1 ]; then
	rm -rf $x/*
	run_vmm caps.json caps --json
	expect_rc 0 caps.json
	cp caps.json $x/sve-small.json
	exit 0
fi

if [ "$PHASE" = 2 ]; then
	[ -s $x/sve-small.json ] || fail "phase 1 left no caps"
	"$VMM" caps --json > me.json || fail "caps --json failed"
	zfr=$(sed -n 's/.*"ID_AA64ZFR0_EL1": "\(0x[0-9a-f]*\)".*/\1/p' me.json | head -n 1)
	case "$zfr" in *1) ;; *) fail "ID_AA64ZFR0_EL1 is '$zfr': SVEver is not 1 (SVE2) on max" ;; esac
	sed "s/\"ID_AA64ZFR0_EL1\": \"$zfr\"/\"ID_AA64ZFR0_EL1\": \"${zfr%?}0\"/; s/\"host\": \"[^\"]*\"/\"host\": \"nosve2\"/" \
		me.json > nosve2.json
	run_vmm plan caps --plan --json me.json nosve2.json $x/sve-small.json
	expect_rc 0 plan
	grep -q '"conflicts": \[\]' plan || { cat plan; fail "the plan has conflicts"; }
	cp plan $x/plan.json
	pmu=
	grep -q '"pmu-v3"' plan && pmu=--pmu
	echo "$pmu" > $x/pmu

	start_vmm /tmp/planned.out run --testdev -m 64 --api-socket $api --cpu-plan $x/plan.json $pmu \
		-k "$GUESTS/sve-state.img"
	wait_for /tmp/planned.out "testdev: ready=1"
	"$VMM" snapshot --api-socket $api -o $s/planned --stop > snap.out 2>&1 ||
		{ cat snap.out; fail "snapshot under the plan failed"; }
	wait_vmm
	"$VMM" snapshot-info $s/planned > info.out 2>&1 || { cat info.out; fail "snapshot-info failed"; }
	expect_line "^CPU plan: SVE lengths 128,256, [0-9]* ID registers, features .* sve\( \|\$\)" info.out
	grep -q "^CPU plan: .* sve2" info.out && fail "info.out: sve2 in the plan"
	expect_line "^guest CPU features: .* sve\( \|\$\)" info.out
	grep -q "^guest CPU features: .* sve2" info.out && fail "info.out: the guest saw sve2"
	expect_line "^  cpu plan    0  version 1 " info.out
	# The section holds the plan file as given.
	"$VMM" snapshot-info $s/planned --json > info.json 2>&1 || fail "snapshot-info --json failed"
	expect_line '^  "cpu_plan": {"sve_lengths": \[128,256\], "id_registers": [0-9]*, "features": \[.*"sve"' info.json
	snapshot_regs $s/planned | grep "^vcpu 0 ID_AA64ZFR0_EL1 " > $x/zfr-saved
	grep -q "0$" $x/zfr-saved || { cat $x/zfr-saved; fail "the snapshot's ID_AA64ZFR0_EL1 has SVE2"; }
	rm -rf $x/planned; cp -r $s/planned $x/planned
	exit 0
fi

[ -d $x/planned ] || fail "phase 2 left no snapshot"
cp -r $x/planned $s/planned
"$VMM" caps --json > me.json || fail "caps --json failed"
own=$(sed -n 's/.*"ID_AA64ZFR0_EL1": "\(0x[0-9a-f]*\)".*/\1/p' me.json | head -n 1)
case "$own" in *1) ;; *) fail "this host's ID_AA64ZFR0_EL1 is '$own': no SVE2, nothing to write" ;; esac
own=0x$(echo ${own#0x} | sed 's/^0*//')	# as messages print it

if [ $kernel = 6.1 ]; then
	run_vmm check restore --check $s/planned
	expect_rc 3 check
	[ "$(wc -l < check)" = 1 ] || { cat check; fail "check: not one line"; }
	expect_line "^vmm: snapshot $s/planned: registers this host cannot give: .*ID_AA64ZFR0_EL1.SVEver saved 0, this host 1 (not writable here; the register saved 0x[0-9a-f]*, this host $own)" check
	run_vmm restored restore $s/planned
	expect_rc 3 restored
	cmp -s check restored || { cat restored; fail "restore said otherwise than --check"; }
	rm -rf $s
	exit 0
fi

run_vmm check restore --check $s/planned
expect_rc 0 check
rm -f $api
start_vmm /tmp/restored.out restore $s/planned --paused --api-socket $api
for i in $(seq 30); do [ -S $api ] && break; sleep 1; done
"$VMM" snapshot --api-socket $api -o $s/again > snap-again.out 2>&1 ||
	{ cat snap-again.out; fail "snapshot of the restored VM failed"; }
snapshot_regs $s/again | grep "^vcpu 0 ID_AA64ZFR0_EL1 " > zfr-restored
cmp $x/zfr-saved zfr-restored || { cat $x/zfr-saved zfr-restored; fail "restore did not apply the saved ID_AA64ZFR0_EL1"; }
"$VMM" snapshot-info $s/again > info-again.out 2>&1 || fail "snapshot-info failed"
expect_line "^CPU plan: SVE lengths 128,256, " info-again.out
"$VMM" resume --api-socket $api > /dev/null || fail "resume failed"
wait_vmm
cp /tmp/restored.out restored.out
[ "$RC" = 0 ] || { tail restored.out; fail "the restored vmm exited with $RC"; }
expect_report sve_ok 1 restored.out
rm -rf $s
