# profiles: max@6.12:1 sve-big:2
# timeout: 600
# vmm run --cpu-plan (docs/caps.md, "Running a plan"). In phase 1, on max
# (6.12, writable ID registers), a plan is made from this host's caps and a
# copy of them with SVE2 taken out (ID_AA64ZFR0_EL1.SVEver 0, the other
# fields as they are): a Linux guest under it has no sve2 in /proc/cpuinfo
# and no HWCAP2_SVE2, but keeps sve, asimddp and lrcpc; without the plan
# it has sve2. --sve-vls that differs from the plan's set is exit 2. In
# phase 2, sve-big (6.1: no writable ID register, fewer VLs) refuses the
# same plan with exit 3 and one line, before any VM. A snapshot of a VM
# under the plan restores on max, whose own ID registers differ from the
# saved ones but can be written to them (restore applies them: a snapshot
# of the restored VM has the saved ID_AA64ZFR0_EL1); sve-big refuses it
# with exit 3 at --check.
#
# On both hosts, restore --check refuses up front what a restore could not give
# (docs/snapshot.md, "Restoring"). Copies of one snapshot, each with one
# field of vcpu 0's section edited and its payload CRC made right again
# (the format is documented; gzip's trailer holds the same CRC-32):
# - another CNTFRQ_EL0, another DCZID_EL0: exit 3, both values, one line;
# - a saved register this host does not list (x0's id made an unknown
#   system register): exit 3 naming it;
# - a register this host lists that the snapshot lacks (x0's id made x1's):
#   exit 3 naming x0.
# The unedited snapshot passes --check and restores.
api=/tmp/api.sock
s=/tmp/snap-plan
x=/xfer/cpu-plan
mkdir -p $x
VMM_TIMEOUT=150
rm -rf $s; mkdir -p $s

u32() {	# FILE OFFSET: the little-endian u32 there, in decimal
	od -An -tu4 -j "$2" -N 4 "$1" | tr -d ' '
}

# vcpu0_section FILE: the offset of vcpu 0's section header (id 3, instance 0).
vcpu0_section() {
	_off=32
	while [ "$_off" -lt "$(wc -c < "$1")" ]; do
		_len=$(u32 "$1" $((_off + 16)))
		if [ "$(u32 "$1" $_off)" = 3 ] && [ "$(u32 "$1" $((_off + 4)))" = 0 ]; then
			echo $_off
			return
		fi
		_off=$((_off + 32 + _len + (8 - _len % 8) % 8))
	done
	fail "$1: no vcpu 0 section"
}

# edit NAME WHERE BYTES: a copy of the snapshot with BYTES (printf escapes)
# written at WHERE ("end-16": from the payload's end; a number: from its
# start) of vcpu 0's payload, and the payload CRC fixed.
edit() {
	rm -rf $s/$1; cp -r $s/good $s/$1
	_f=$s/$1/state
	_sec=$(vcpu0_section $_f)
	_len=$(u32 $_f $((_sec + 16)))
	case $2 in
	end-*) _at=$((_sec + 32 + _len - ${2#end-})) ;;
	*) _at=$((_sec + 32 + $2)) ;;
	esac
	printf "$3" | dd of=$_f bs=1 seek=$_at conv=notrunc 2>/dev/null
	tail -c +$((_sec + 33)) $_f | head -c $_len | gzip -c | tail -c 8 | head -c 4 |
		dd of=$_f bs=1 seek=$((_sec + 24)) conv=notrunc 2>/dev/null
}

# refused NAME PATTERN: restore --check of the copy ends with 3 and one line.
refused() {
	run_vmm check-$1 restore --check $s/$1
	expect_rc 3 check-$1
	expect_line "$2" check-$1
	[ "$(wc -l < check-$1)" = 1 ] || { cat check-$1; fail "$1: not one line"; }
}

start_vmm /tmp/plan-snap.out run --testdev -m 64 --api-socket $api -k "$GUESTS/sve-state.img"
wait_for /tmp/plan-snap.out "testdev: ready=1"
"$VMM" snapshot --api-socket $api -o $s/good --stop > snap.out 2>&1 || { cat snap.out; fail "snapshot failed"; }
wait_vmm
run_vmm check-good restore --check $s/good
expect_rc 0 check-good

edit cntfrq end-16 '\000\055\061\001\000\000\000\000'	# 20000000 Hz
refused cntfrq "saved CNTFRQ_EL0 20000000 Hz, this host [0-9]* Hz"
edit dczid end-8 '\077\000\000\000\000\000\000\000'
refused dczid "saved DCZID_EL0 0x3f, this host 0x[0-9a-f]*: KVM cannot change"
# The first register is x0 (0x6030000000100000), its id at payload byte 48.
[ "$(od -An -tx1 -j $(($(vcpu0_section $s/good/state) + 32 + 48)) -N 8 $s/good/state | tr -d ' ')" = 0000100000003060 ] ||
	fail "vcpu 0's first register is not x0"
edit unknown 48 '\377\377\023\000\000\000\060\140'
refused unknown "saved register S3_7_C15_C15_7 (0x603000000013ffff) is not on this host's register list"
edit lacks 48 '\002\000\020\000\000\000\060\140'
refused lacks "this host has register x0 (0x6030000000100000), which the snapshot lacks"

# The unedited one restores and its guest finishes.
run_vmm restore-good restore $s/good
expect_rc 0 restore-good
expect_report sve_ok 1 restore-good
rm -rf $s

# plan_guest NAME ARGS...: the Linux guest's view of the CPU, vmm run with ARGS.
plan_guest() {
	_n=$1
	shift
	linux_guest $_n cpu-plan "$@"
	expect_rc 0 $_n
}

if [ "$PHASE" = 1 ]; then
	"$VMM" caps --json > me.json || fail "caps --json failed"
	zfr=$(sed -n 's/.*"ID_AA64ZFR0_EL1": "\(0x[0-9a-f]*\)".*/\1/p' me.json | head -n 1)
	case "$zfr" in *1) ;; *) fail "ID_AA64ZFR0_EL1 is '$zfr': SVEver is not 1 (SVE2) on max" ;; esac
	sed "s/\"ID_AA64ZFR0_EL1\": \"$zfr\"/\"ID_AA64ZFR0_EL1\": \"${zfr%?}0\"/; s/\"host\": \"[^\"]*\"/\"host\": \"nosve2\"/" \
		me.json > nosve2.json
	cmp -s me.json nosve2.json && fail "the copy is unchanged"
	run_vmm plan caps --plan --json me.json nosve2.json
	expect_rc 0 plan
	cp plan $x/plan.json
	grep -q '"conflicts": \[\]' plan || { cat plan; fail "the plan has conflicts on max"; }
	pmu=
	grep -q '"pmu-v3"' plan && pmu=--pmu

	plan_guest host $pmu
	expect_guest cpuinfo_sve2 1 host
	expect_guest hwcap_sve2 1 host
	plan_guest planned --cpu-plan $x/plan.json $pmu --debug
	expect_guest cpuinfo_sve2 0 planned
	expect_guest hwcap_sve2 0 planned
	expect_guest cpuinfo_sve 1 planned
	expect_guest hwcap_sve 1 planned
	expect_guest cpuinfo_asimddp 1 planned
	expect_guest cpuinfo_lrcpc 1 planned
	expect_line "cpu-plan: [0-9]* ID registers checked" planned

	# A snapshot of a VM under the plan: its ID registers are the plan's
	# (SVEver 0), this host's own are not (SVEver 1), and KVM can write
	# them: restore --check accepts it and restore applies them.
	rm -rf $s/planned $s/planned-again $x/planned; mkdir -p $s
	start_vmm /tmp/planned.out run --testdev -m 64 --api-socket $api --cpu-plan $x/plan.json $pmu \
		-k "$GUESTS/sve-state.img"
	wait_for /tmp/planned.out "testdev: ready=1"
	"$VMM" snapshot --api-socket $api -o $s/planned --stop > snap-planned.out 2>&1 ||
		{ cat snap-planned.out; fail "snapshot under the plan failed"; }
	wait_vmm
	snapshot_regs $s/planned | grep "^vcpu 0 ID_AA64ZFR0_EL1 " > zfr-saved
	grep -q "0$" zfr-saved || { cat zfr-saved; fail "the snapshot's ID_AA64ZFR0_EL1 has SVE2"; }
	run_vmm check-planned restore --check $s/planned
	expect_rc 0 check-planned
	start_vmm /tmp/restored.out restore $s/planned --paused --api-socket $api
	for i in $(seq 30); do [ -S $api ] && break; sleep 1; done
	"$VMM" snapshot --api-socket $api -o $s/planned-again > snap-again.out 2>&1 ||
		{ cat snap-again.out; fail "snapshot of the restored VM failed"; }
	snapshot_regs $s/planned-again | grep "^vcpu 0 ID_AA64ZFR0_EL1 " > zfr-restored
	cmp zfr-saved zfr-restored || { cat zfr-saved zfr-restored; fail "restore did not apply the saved ID_AA64ZFR0_EL1"; }
	"$VMM" resume --api-socket $api > /dev/null || fail "resume failed"
	wait_vmm
	cp /tmp/restored.out restored.out
	[ "$RC" = 0 ] || { tail restored.out; fail "the restored vmm exited with $RC"; }
	expect_report sve_ok 1 restored.out
	cp -r $s/planned $x/planned

	run_vmm vls run --cpu-plan $x/plan.json $pmu --sve-vls=128 -k "$GUESTS/hello.img"
	expect_rc 2 vls
	expect_line "^vmm: --cpu-plan $x/plan.json: its VL set is 128,256,.*, --sve-vls gives 128\$" vls
else
	[ -f $x/plan.json ] || fail "phase 1 left no plan"
	pmu=
	grep -q '"pmu-v3"' $x/plan.json && pmu=--pmu
	run_vmm refused run --cpu-plan $x/plan.json $pmu -k "$GUESTS/hello.img"
	expect_rc 3 refused
	expect_line "^vmm: --cpu-plan $x/plan.json: CPU plan: " refused
	[ "$(wc -l < refused)" = 1 ] || { cat refused; fail "refused: not one line"; }
	# What this host truly cannot give (SVE lengths above 512, SVE2's
	# field on a kernel that writes no ID register) is refused up front.
	run_vmm check-planned restore --check $x/planned
	expect_rc 3 check-planned
	[ "$(wc -l < check-planned)" = 1 ] || { cat check-planned; fail "check-planned: not one line"; }
fi
