# profiles: sve-big sve-small nosve sve-big@6.12 max@6.12 a64fx@6.12 neoverse-n1@6.12
# timeout: 60
# The whole chain: vmm creates a VM and a vcpu, loads the hello guest, runs
# it, and the values the guest reports through the doorbell are right.
run_vmm out run --testdev -k "$GUESTS/hello.img"
expect_rc 0 out
expect_line "hello from the test guest" out
expect_report magic $((0x5645564d)) out
expect_report sum 5050 out
expect_report dtb 1 out
if [ -n "$(profile_sve_set)" ]; then
	expect_report sve 1 out
	max=$(profile_sve_set | tr ',' '\n' | tail -n 1)
	expect_report maxvl "$max" out
else
	expect_report sve 0 out
fi
