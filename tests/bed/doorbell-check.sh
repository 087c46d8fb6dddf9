# profiles: sve-big
# timeout: 60
# The checker itself can fail: a wrong expected doorbell value, or a value
# the guest never reported, must make expect_report fail.
run_vmm out run --testdev -k "$GUESTS/hello.img"
expect_rc 0 out
if (expect_report sum 5051 out) > /dev/null; then
	fail "expect_report accepted sum=5051 (the guest reported 5050)"
fi
if (expect_report nosuchkey 0 out) > /dev/null; then
	fail "expect_report accepted a key the guest never reported"
fi
expect_report sum 5050 out
