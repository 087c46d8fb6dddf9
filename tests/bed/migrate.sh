# profiles: sve-big:1 nosve:1 sve-small:2 sve-odd:2 sve-big:2 nosve:2
# timeout: 180
# Snapshots move between unlike hosts through /xfer:
# - a --sve-vls=128,256 VM saved on sve-big restores and runs, its SVE
#   registers intact, on sve-small and on sve-odd (there with --copy-memory);
# - a --sve-vls=max VM saved on sve-big is refused on sve-small with
#   status 3, both sets named;
# - a VM saved on nosve restores on sve-big, its vcpus still without SVE;
#   a --sve-vls=off VM saved on sve-big restores on nosve;
# - the vlsmax VM, started right after the first VM's snapshot --stop,
#   keeps a guest counter that never runs ahead of this host's own
#   counter, as the first VM does (docs/testing.md, "The counter jump of migrate.sh").
api=/tmp/api.sock
x=/xfer/migrate

# This host's virtual counter (tests/progs/hostclock.c), and its value in us.
host_counter() { hostclock | sed 's/^cntvct=\([0-9]*\) .*/\1/'; }
freq=$(hostclock | sed 's/.* cntfrq=\([0-9]*\) .*/\1/')
us() { echo $(($1 * 1000000 / freq)); }

# save NAME ARGS...: runs a guest until it is ready, snapshots it with --stop
# into /xfer. H0 and H1: this host's counter before vmm started and after
# the snapshot.
save() {
	_name=$1 _ready=$2
	shift 2
	rm -rf $x/$_name
	H0=$(host_counter)
	start_vmm /tmp/$_name.out run --api-socket $api "$@"
	wait_for /tmp/$_name.out "$_ready" 90
	"$VMM" snapshot --api-socket $api -o $x/$_name --stop > save-$_name.out 2>&1 ||
		{ cat save-$_name.out; sleep 2; cp /tmp/$_name.out $_name.out; tail $_name.out
		  window_ended $_name; fail "$_name: snapshot failed"; }
	H1=$(host_counter)
	wait_vmm
	cp /tmp/$_name.out $_name.out
	[ "$RC" = 0 ] || fail "$_name: vmm exited with $RC"
}

# window_ended NAME: when the sve-state guest ended its window before the
# snapshot came, says whether this host's time covered the window (the
# emulated host stalled) or the guest's counter ran ahead of it.
window_ended() {
	_w=$(report window $1.out)
	[ "$(report sve_ok $1.out)" = 1 ] && [ -n "$_w" ] || return 0
	_e=$(us $(($(host_counter) - H0)))
	if [ "$_e" -ge $((_w * 1000000)) ]; then
		echo "$1: the guest ended its ${_w} s window after $(report passes $1.out) passes; this host's time since vmm started: $_e us: a stall of the emulated host, not a counter jump"
	else
		fail "$1: the guest's counter jumped: it ended its ${_w} s window after only $_e us of this host's time"
	fi
}

# check_counter NAME: the guest counter of a VM saved by save, which KVM
# starts at 0 when the vcpu is created, against this host's counter around
# it (H0, H1): its value at the window's start (cnt0), at the snapshot,
# and its largest step between two passes (gap_max) cannot exceed the
# host time they lie in. A counter offset carried from an earlier VM, or
# one applied to this fresh VM, would break it; a stall of the emulated
# host, where the vcpu did not run, would not (docs/testing.md).
check_counter() {
	_cnt0=$(report cnt0 $1.out) _gap=$(report gap_max $1.out)
	_snap=$(snapshot_regs $x/$1 | sed -n 's/^vcpu 0 CNTVCT_EL0 0x[0-9a-f]* /0x/p')
	[ -n "$_cnt0" ] && [ -n "$_snap" ] || fail "$1: no counter report or no saved counter"
	_gap=${_gap:-0}	# none yet when the snapshot came before the first pass ended
	_snap=$((_snap)) _host=$((H1 - H0))
	echo "$1: guest counter at the window's start $(us $_cnt0) us, at the snapshot $(us $_snap) us, largest step ${_gap} us; this host's time from vmm's start to the snapshot's end $(us $_host) us"
	[ "$_cnt0" -le "$_snap" ] || fail "$1: the guest counter went back between the window's start and the snapshot"
	[ "$_snap" -le "$_host" ] || fail "$1: the guest counter ($(us $_snap) us) ran ahead of this host's time ($(us $_host) us)"
	[ "$_gap" -le "$(us $_host)" ] || fail "$1: the guest counter stepped ${_gap} us within $(us $_host) us of this host's time"
}

# local NAME: a copy of /xfer/migrate/NAME on tmpfs. Restore maps guest
# memory from the snapshot, and every page fault on a 9p file is a round
# trip to the outer qemu.
local_copy() {
	rm -rf /tmp/local-$1
	cp -r $x/$1 /tmp/local-$1 || fail "cannot copy $x/$1"
	echo /tmp/local-$1
}

# restore_sve_state NAME: the sve-state guest finishes its window intact.
restore_sve_state() {
	"$VMM" restore --check $x/$1 > check-$1.out 2>&1 || { cat check-$1.out; fail "$1: --check refused"; }
	run_vmm restored-$1 restore "$(local_copy $1)" ${2:-}
	expect_rc 0 restored-$1
	# The guest checks each pass that RDVL did not change, so sve_ok=1 also
	# says the VL is the one it had before the snapshot.
	expect_report sve_ok 1 restored-$1
}

case "$PROFILE:$PHASE" in
sve-big:1)
	rm -rf $x; mkdir -p $x
	save vls128-256 "testdev: ready=1" --testdev -m 64 --sve-vls=128,256 -k "$GUESTS/sve-state.img"
	check_counter vls128-256
	save vlsmax "testdev: ready=1" --testdev -m 64 --sve-vls=max -k "$GUESTS/sve-state.img"
	check_counter vlsmax
	save vlsoff "guest: tick=2" -m 128 --sve-vls=off -k "$KERNEL" -i "$LINUX_INITRD" \
		-p "console=ttyAMA0 quiet vmm.test=ticker"
	expect_guest sve_hwcap 0 vlsoff.out
	;;
nosve:1)
	save nosve "guest: tick=2" -m 128 -k "$KERNEL" -i "$LINUX_INITRD" \
		-p "console=ttyAMA0 quiet vmm.test=ticker"
	expect_guest sve_hwcap 0 nosve.out
	;;
sve-small:2)
	restore_sve_state vls128-256
	run_vmm refused restore $x/vlsmax
	expect_rc 3 refused
	expect_line "saved VL set 128,256,512; this host can give at most 128,256" refused
	grep -q "^testdev:" refused && fail "a refused restore ran the guest"
	"$VMM" restore --check $x/vlsmax > refused-check 2>&1
	[ $? = 3 ] || fail "restore --check of vlsmax did not end with 3"
	;;
sve-odd:2)
	restore_sve_state vls128-256 --copy-memory
	;;
sve-big:2|nosve:2)
	if [ "$PROFILE" = sve-big ]; then name=nosve; else name=vlsoff; fi
	"$VMM" restore --check $x/$name > check.out 2>&1 || { cat check.out; fail "$name: --check refused"; }
	start_vmm /tmp/restored.out restore "$(local_copy $name)" --api-socket $api
	wait_for /tmp/restored.out "guest: tick=" 60
	# The restored vcpus have no SVE registers on this host either.
	"$VMM" snapshot --api-socket $api -o /tmp/again > again.out 2>&1 || { cat again.out; fail "snapshot of the restored VM failed"; }
	snapshot_regs /tmp/again > regs-again
	grep -q "^vcpu 0 pc " regs-again || fail "no registers in the restored VM's snapshot"
	grep -q "slice" regs-again && fail "the restored vcpus have SVE registers"
	rm -rf /tmp/again
	"$VMM" stop --api-socket $api > /dev/null || fail "stop failed"
	wait_vmm
	cp /tmp/restored.out restored-$name.out
	[ "$RC" = 0 ] || fail "$name: restored vmm exited with $RC"
	"$VMM" snapshot-info $x/$name | grep -q "^VL set: off" || fail "$name: VL set is not off"
	rm -rf /tmp/local-$name
	;;
esac
