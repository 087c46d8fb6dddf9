# profiles: sve-big:1 sve-big@6.12:2 sve-big:3
# timeout: 240
# Snapshots between the 6.1 and 6.12 host kernels on the same CPU: each way,
# `restore --check` either accepts (and then the restore runs the guest to
# its end, every SVE register intact) or refuses with exit 3 and one line
# naming what differs; never a late failure. Phase 1 saves on 6.1, phase 2
# tries it on 6.12 and saves there, phase 3 tries that on 6.1.
api=/tmp/api.sock
x=/xfer/cpu-plan-kernels
case "$(uname -r)" in 6.1.*) kernel=6.1 ;; *) kernel=6.12 ;; esac

save() {	# NAME
	rm -rf $x/$1
	mkdir -p $x
	start_vmm /tmp/$1.out run --testdev -m 64 --api-socket $api -k "$GUESTS/sve-state.img"
	wait_for /tmp/$1.out "testdev: ready=1" 90
	"$VMM" snapshot --api-socket $api -o $x/$1 --stop > save-$1.out 2>&1 ||
		{ cat save-$1.out; fail "$1: snapshot failed"; }
	wait_vmm
	[ "$RC" = 0 ] || fail "$1: vmm exited with $RC"
}

try() {	# NAME: --check, then restore if it said yes
	rm -rf /tmp/$1; cp -r $x/$1 /tmp/$1
	run_vmm check-$1 restore --check /tmp/$1
	echo "$1 on $kernel: --check status $RC: $(cat check-$1)"
	case $RC in
	0)
		VMM_TIMEOUT=120 run_vmm restored-$1 restore /tmp/$1
		expect_rc 0 restored-$1
		expect_report sve_ok 1 restored-$1 ;;
	3)
		[ "$(wc -l < check-$1)" = 1 ] || { cat check-$1; fail "check-$1: not one line"; }
		expect_line "^vmm: snapshot /tmp/$1: " check-$1
		# The restore itself refuses the same way, before any VM.
		run_vmm restored-$1 restore /tmp/$1
		expect_rc 3 restored-$1
		cmp -s check-$1 restored-$1 || { cat restored-$1; fail "restore said otherwise than --check"; } ;;
	*) cat check-$1; fail "$1: restore --check status $RC" ;;
	esac
	rm -rf /tmp/$1
}

case $PHASE in
1) save from-6.1 ;;
2) try from-6.1; save from-6.12 ;;
3) try from-6.12 ;;
esac
