# The virtio entropy device: /dev/hwrng is driven by it and gives bytes
# that are not all zero and differ from one read to the next.
echo "guest: rng_current=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)"
a=$(dd if=/dev/hwrng bs=64 count=1 2>/dev/null | od -A n -t x1 | tr -d ' \n')
b=$(dd if=/dev/hwrng bs=64 count=1 2>/dev/null | od -A n -t x1 | tr -d ' \n')
echo "guest: hwrng_hex_chars=${#a}"
zeros=$(printf '%0128d' 0)
if [ "$a" != "$b" ] && [ "$a" != "$zeros" ]; then
	echo "guest: hwrng=random"
else
	echo "guest: hwrng=suspect $a $b"
fi
echo "guest: virtio_devices=$(ls /sys/bus/virtio/devices | wc -l)"
