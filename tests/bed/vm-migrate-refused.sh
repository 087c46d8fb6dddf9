# profiles: sve-big
# timeout: 150
# scripts/vm-migrate when the destination refuses: the exit status is the
# check's (3), the VM is restored here in the foreground (the guest
# finishes before vm-migrate returns), and a restore here that fails is
# reported (the status stays the check's). The destination is a stand-in
# for "ssh sve-small", which refuses a 512-bit VL set with status 3
# (tests/bed/migrate.sh checks that refusal on a real sve-small host).
api=/tmp/refused.sock
base=/tmp/snaps-refused
dest=/tmp/sve-small-host
rm -rf $base
cat > $dest <<'SH'
#!/bin/sh
echo "vmm: saved VL set 128,256,512; this host can give at most 128,256" >&2
exit 3
SH
chmod +x $dest

# migrate NAME [-- restore options]: runs the sve-state guest with VL 512
# and migrates it to the stand-in; vm-migrate's status goes to MIGRATE_RC.
migrate() {
	_name=$1
	shift
	start_vmm /tmp/$_name-source.out run --testdev -m 64 --sve-vls=128,256,512 \
		--api-socket $api -k "$GUESTS/sve-state.img"
	wait_for /tmp/$_name-source.out "testdev: ready=1"
	VMM_TIMEOUT=90 run_vmm $_name "$SCRIPTS/vm-migrate" --stop-and-copy $api $base $dest "$@"
	MIGRATE_RC=$RC
	wait_vmm
	cp /tmp/$_name-source.out $_name-source.out
	[ "$RC" = 0 ] || fail "$_name: the source vmm exited with $RC"
	RC=$MIGRATE_RC
}

migrate refused
expect_rc 3 refused
expect_line "vm-migrate: the destination refused .* (status 3); restoring it here" refused
expect_line "this host can give at most 128,256" refused
# Restored here in the foreground: the guest ran to its end inside vm-migrate.
expect_report sve_ok 1 refused
grep -q "here failed" refused && fail "a restore that worked was reported as failed"

migrate restore-fails -- --no-such-option
expect_rc 3 restore-fails
expect_line "vm-migrate: restoring .* here failed too (status 2)" restore-fails
grep -q "^testdev: sve_ok" restore-fails && fail "the failed restore ran the guest"
rm -rf $base
