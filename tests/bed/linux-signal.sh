# profiles: sve-big
# timeout: 90
# SIGTERM and SIGINT stop a running guest cleanly: every vcpu leaves
# KVM_RUN and vmm exits with 128 + the signal.
# Two vcpus for SIGTERM, one for SIGINT (docs/testing.md: 2-vcpu Linux boots
# are kept few in this emulated test bed).
for sig in TERM INT; do
	rm -f /tmp/sig.out
	if [ $sig = TERM ]; then cpus=2; else cpus=1; fi
	"$VMM" run -k "$KERNEL" -i "$LINUX_INITRD" -p "console=ttyAMA0 quiet" -c $cpus \
		< /dev/null > /tmp/sig.out 2>&1 &
	pid=$!
	for i in $(seq 60); do
		grep -q "vmm-guest: init reached" /tmp/sig.out && break
		sleep 1
	done
	grep -q "vmm-guest: init reached" /tmp/sig.out || fail "the guest did not boot"
	kill -$sig $pid
	wait $pid
	rc=$?
	cp /tmp/sig.out sig-$sig.out
	if [ $sig = TERM ]; then want=143; else want=130; fi
	[ $rc = $want ] || fail "SIG$sig: vmm exit status $rc, want $want"
	expect_line "stopping on SIG$sig" sig-$sig.out
done
