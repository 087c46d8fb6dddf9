# Keeps vda busy for the snapshot test: two writers, on even and odd 64 KiB
# chunks of the first 8 MiB, each chunk a dd with fsync. When both are done
# it reads the 8 MiB back from the device (page cache dropped) and prints
# its md5, and checks that the entropy device still answers.
seq -w 1 2000000 | head -c 8388608 > /tmp/pat
echo "guest: pat_md5=$(md5sum < /tmp/pat | cut -d ' ' -f 1)"
writer() {
	i=$1
	while [ "$i" -lt 128 ]; do
		dd if=/tmp/pat of=/dev/vda bs=65536 skip="$i" seek="$i" count=1 conv=fsync \
			2>/dev/null || echo "guest: busy_write_failed=$i"
		echo "guest: busy_chunk=$i"
		i=$((i + 2))
	done
}
echo "guest: busy=writing"
writer 0 &
writer 1
wait
sync
echo 3 > /proc/sys/vm/drop_caches
echo "guest: busy_md5=$(dd if=/dev/vda bs=65536 count=128 2>/dev/null | md5sum | cut -d ' ' -f 1)"
n=$(dd if=/dev/hwrng bs=16 count=1 2>/dev/null | wc -c)
echo "guest: hwrng_bytes=$n"
