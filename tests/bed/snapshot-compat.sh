# profiles: sve-big
# timeout: 120
# Old snapshots keep restoring: tests/fixtures/snapshot-1.0 was written by
# vmm in format 1.0 (its README says how). Restored here, the sve-state guest
# in it finishes its window with every SVE register intact.
snap=/tmp/snap-compat
rm -rf $snap
mkdir -p $snap
cp "$TESTS/../fixtures/snapshot-1.0/state" $snap/state
gunzip -c "$TESTS/../fixtures/snapshot-1.0/memory.gz" > $snap/memory
"$VMM" snapshot-info $snap > info.out 2>&1 || { cat info.out; fail "snapshot-info refused the 1.0 fixture"; }
expect_line "format: 1.0" info.out
run_vmm restore.out restore $snap
expect_rc 0 restore.out
expect_report sve_ok 1 restore.out
[ -z "$(report bad restore.out)" ] || fail "restore.out: register mismatch bad=$(report bad restore.out)"
rm -rf $snap
