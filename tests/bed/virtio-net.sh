# profiles: sve-big
# timeout: 180
# -n tap=NAME gives the Linux guest a virtio network device over a host
# tap that vmm creates: the guest sees the default MAC and pings the
# host's end of the tap, with small and full-size frames. A tap name too
# long for the kernel is bad input (status 2, a message naming it).
[ -e /dev/net/tun ] || fail "the host has no /dev/net/tun (the tun module)"
start_vmm /tmp/net.out run -k "$KERNEL" -i "$LINUX_INITRD" \
	-p "console=ttyAMA0 quiet vmm.test=virtio-net" -n tap=vmmtap0

# vmm creates the tap before the guest boots.
i=0
while [ ! -e /sys/class/net/vmmtap0 ]; do
	if ! kill -0 "$VMM_PID" 2>/dev/null || [ $i -ge 30 ]; then
		cp /tmp/net.out net.out
		tail -n 20 net.out
		fail "no tap vmmtap0 after ${i}s"
	fi
	sleep 1
	i=$((i + 1))
done
ip addr add 10.0.2.1/24 dev vmmtap0 || fail "cannot give vmmtap0 an address"
ip link set vmmtap0 up || fail "cannot bring vmmtap0 up"

wait_for /tmp/net.out "vmm-guest: test virtio-net status" 150
wait_vmm
cp /tmp/net.out net.out
expect_rc 0 net.out
expect_guest virtio_net_devices 1 net.out
expect_guest mac 02:76:6d:6d:00:01 net.out
expect_guest ping ok net.out
expect_guest ping_big ok net.out
# The tap goes with vmm (it was not persistent).
for i in 1 2 3 4 5; do
	[ -e /sys/class/net/vmmtap0 ] || break
	sleep 1
done
[ ! -e /sys/class/net/vmmtap0 ] || fail "vmmtap0 is still there after vmm exited"

# IFNAMSIZ is 16 with the NUL: 16 characters are one too many.
run_vmm toolong run -k "$GUESTS/hello.img" -n tap=vmmtap0123456789
expect_rc 2 toolong
expect_line "vmmtap0123456789" toolong
[ ! -e /sys/class/net/vmmtap0123456789 ] || fail "a tap with a too-long name exists"
