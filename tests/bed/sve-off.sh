# profiles: sve-big nosve
# timeout: 60
# --sve-vls=off gives vcpus without SVE (ID_AA64PFR0_EL1.SVE = 0). On a host
# without SVE, max and the default run without SVE; asking for a set ends
# with status 3.
run_vmm off run --testdev --sve-vls=off -k "$GUESTS/sve-vl.img"
expect_rc 0 off
expect_report sve 0 off
if [ -z "$(profile_sve_set)" ]; then
	for arg in --sve-vls=max ""; do
		run_vmm max run --testdev $arg -k "$GUESTS/sve-vl.img"
		expect_rc 0 max
		expect_report sve 0 max
	done
	run_vmm want128 run --testdev --sve-vls=128 -k "$GUESTS/sve-vl.img"
	expect_rc 3 want128
	expect_line "cannot be given: this host has no SVE" want128
	run_vmm maxvl run --testdev --sve-max-vl=256 -k "$GUESTS/sve-vl.img"
	expect_rc 3 maxvl
fi
