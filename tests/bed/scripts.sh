# profiles: sve-big
# timeout: 150
# The user scripts: vm-snapshot makes time-stamped snapshots,
# vm-restore-latest restores the newest, vm-migrate moves a VM (here to
# this same host) after checking the destination.
api=/tmp/api.sock
base=/tmp/snaps-scripts
rm -rf $base
start_vmm /tmp/s1.out run --testdev -m 64 --api-socket $api -k "$GUESTS/sve-state.img"
wait_for /tmp/s1.out "testdev: ready=1"
first=$("$SCRIPTS/vm-snapshot" $api $base) || fail "vm-snapshot failed"
second=$("$SCRIPTS/vm-snapshot" $api $base --stop) || fail "vm-snapshot --stop failed"
wait_vmm
[ "$RC" = 0 ] || fail "vmm exited with $RC after vm-snapshot --stop"
[ -d "$first" ] && [ -d "$second" ] && [ "$first" != "$second" ] || fail "snapshots: '$first' '$second'"
case "$(basename "$second")" in [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9][0-9][0-9]*) ;;
*) fail "not a time-stamped name: $second" ;; esac

# The newest is the one taken with --stop; the guest finishes from there.
VMM_TIMEOUT=90 run_vmm latest "$SCRIPTS/vm-restore-latest" $base
expect_rc 0 latest
expect_line "restoring $second" latest
expect_report sve_ok 1 latest
run_vmm none "$SCRIPTS/vm-restore-latest" /tmp/no-snapshots-here
expect_rc 2 none

# vm-migrate to this host: snapshot --stop, restore --check, restore.
start_vmm /tmp/m1.out run --testdev -m 64 --api-socket $api -k "$GUESTS/sve-state.img"
wait_for /tmp/m1.out "testdev: ready=1"
VMM_TIMEOUT=90 run_vmm migrated "$SCRIPTS/vm-migrate" --stop-and-copy $api $base/migrated
wait_vmm
[ "$RC" = 0 ] || fail "the source vmm exited with $RC"
expect_line "vm-migrate: saved" migrated
expect_report sve_ok 1 migrated
rm -rf $base
