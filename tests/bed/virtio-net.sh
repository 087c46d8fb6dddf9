# profiles: sve-big
# timeout: 240
# -n tap=NAME gives the Linux guest a virtio network device over a host
# tap that vmm creates: the guest sees the default MAC and pings the
# host's end of the tap, with small and full-size frames. The driver takes
# the checksum and segmentation offloads and mergeable receive buffers,
# and 8 MiB of TCP each way arrive intact (the hash of the stream at both
# ends) in frames larger than the 1500-byte MTU allows, which only
# segmentation offload makes. A tap name too long for the kernel is bad
# input (status 2, a message naming it).
[ -e /dev/net/tun ] || fail "the host has no /dev/net/tun (the tun module)"
iobench recv 5001 sum > /tmp/g2h.out 2>&1 &
RECV_PID=$!
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

stat_of() { cat /sys/class/net/vmmtap0/statistics/$1; }
# Bytes per frame through the tap since the counters were read as $2 $3.
avg_frame() { echo $(( ($(stat_of ${1}_bytes) - $2) / ($(stat_of ${1}_packets) - $3 + 1) )); }

# Guest to host: the receiver here hashes what it got.
rxb=$(stat_of rx_bytes) rxp=$(stat_of rx_packets)
wait_for /tmp/g2h.out "net_recv_sum" 150
g2h_frame=$(avg_frame rx $rxb $rxp)
wait $RECV_PID
# Host to guest: the guest listens once it has sent.
# The guest may power off, and take the tap with it, as soon as it has the
# stream: the tap's counters are sampled while it is there.
rm -f /tmp/txstat
txb=$(stat_of tx_bytes) txp=$(stat_of tx_packets)
(while :; do
	b=$(stat_of tx_bytes 2>/dev/null) && p=$(stat_of tx_packets 2>/dev/null) &&
		echo "$b $p" > /tmp/txstat.new && mv /tmp/txstat.new /tmp/txstat
	sleep 0.1
done) &
SAMPLER_PID=$!
iobench send 10.0.2.15 5002 8 sum > /tmp/h2g.out 2>&1 &
SEND_PID=$!
wait_for /tmp/h2g.out "net_send_sum" 150
wait $SEND_PID
sleep 0.3
kill $SAMPLER_PID
read -r txb_end txp_end < /tmp/txstat
h2g_frame=$(( (txb_end - txb) / (txp_end - txp + 1) ))
wait_for /tmp/net.out "vmm-guest: test virtio-net status" 150
wait_vmm
cp /tmp/net.out net.out
cp /tmp/g2h.out g2h.out
cp /tmp/h2g.out h2g.out
expect_rc 0 net.out
expect_guest virtio_net_devices 1 net.out
expect_guest mac 02:76:6d:6d:00:01 net.out
expect_guest ping ok net.out
expect_guest ping_big ok net.out
expect_guest offload_features 1111111 net.out
host_value() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" "$2" | tail -n 1; }
expect_guest net_send_bytes 8388608 net.out
[ "$(host_value net_recv_bytes g2h.out)" = 8388608 ] || { cat g2h.out; fail "guest to host: not 8 MiB"; }
expect_guest net_send_sum "$(host_value net_recv_sum g2h.out)" net.out
expect_guest net_recv_bytes 8388608 net.out
[ "$(host_value net_send_bytes h2g.out)" = 8388608 ] || { cat h2g.out; fail "host to guest: sender failed"; }
expect_guest net_recv_sum "$(host_value net_send_sum h2g.out)" net.out
# No frame can be over 1514 bytes without segmentation offload.
echo "average frame: guest to host $g2h_frame bytes, host to guest $h2g_frame bytes" > frames
[ "$g2h_frame" -gt 1600 ] || fail "guest to host: $g2h_frame bytes a frame (no TSO?)"
[ "$h2g_frame" -gt 1600 ] || fail "host to guest: $h2g_frame bytes a frame (no TSO?)"
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
