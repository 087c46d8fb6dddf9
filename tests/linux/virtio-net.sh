# The virtio network device: eth0 as 10.0.2.15/24 pings the host's end of
# the tap, 10.0.2.1, which may come up a little after the guest does. A
# full-size frame (1472 bytes of ICMP data: a 1500-byte IP packet) goes
# both ways too. Then TCP with the offloads the driver took: 8 MiB of a
# pseudo-random stream to the host (port 5001), then 8 MiB from it (the
# guest listens on 5002), each with its hash for the host to compare.
echo "guest: virtio_net_devices=$(ls /sys/bus/virtio/drivers/virtio_net 2>/dev/null | grep -c virtio)"
echo "guest: ifaces=$(ls /sys/class/net | tr '\n' ' ')"
echo "guest: mac=$(cat /sys/class/net/eth0/address 2>/dev/null)"
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ping=fail
for i in $(seq 15); do
	if ping -c 1 -W 2 10.0.2.1 > /dev/null 2>&1; then
		ping=ok
		break
	fi
	sleep 1
done
echo "guest: ping=$ping"
big=fail
ping -c 3 -W 2 -s 1472 10.0.2.1 > /tmp/ping.out 2>&1 && big=ok
[ $big = ok ] || cat /tmp/ping.out
echo "guest: ping_big=$big"
# Feature bits 0 CSUM, 1 GUEST_CSUM, 7 GUEST_TSO4, 8 GUEST_TSO6, 11 HOST_TSO4,
# 12 HOST_TSO6, 15 MRG_RXBUF (the string's character n+1 is bit n).
f=$(cat /sys/bus/virtio/drivers/virtio_net/virtio*/features 2>/dev/null)
echo "guest: offload_features=$(echo "$f" | cut -c1,2,8,9,12,13,16)"
tcp() { iobench "$@" 2>&1 | sed 's/^bench: //' | tr ' ' '\n' | sed 's/^/guest: /'; }
tcp send 10.0.2.1 5001 8 sum
tcp recv 5002 sum
cat /proc/net/dev
