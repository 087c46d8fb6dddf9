# profiles: sve-big
# timeout: 60
# A guest that breaks the virtqueue rules on purpose (guest/virtio-bad.c):
# a buffer outside guest memory, one that wraps the address space, a
# descriptor loop and a buffer in the wrong direction each put the device
# in DEVICE_NEEDS_RESET with a config interrupt; vmm logs it once and runs
# on, and after a reset the device fills a good buffer.
run_vmm out run --testdev --rng -k "$GUESTS/virtio-bad.img"
expect_rc 0 out
expect_report magic $((0x74726976)) out
expect_report version 2 out
expect_report devid 4 out
expect_report ready 1 out
for k in outside wrap loop readonly; do
	expect_report $k 1 out
done
expect_report good 1 out
expect_report usedlen 64 out
expect_report nonzero 1 out
n=$(grep -c "broke the rules" out)
[ "$n" = 1 ] || fail "the broken queue was logged $n times, want once"
