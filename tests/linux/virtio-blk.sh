# The virtio block devices: vda read-write, vdb read-only (as the bed test
# gives them). On vda a 1 MiB pattern written at 1 MiB with dd, synced,
# then read back from the device (page cache dropped) is the same; 64 KiB
# discarded at 4 MiB read as zeros. vdb refuses writes and reads as the
# host wrote it. The serials are what the devices report.
pattern() { seq -w 1 1000000 | head -c 1048576; }
sum() { md5sum | cut -d ' ' -f 1; }

echo "guest: disks=$(ls /sys/block | grep -c '^vd')"
echo "guest: vda_sectors=$(cat /sys/block/vda/size)"
echo "guest: vdb_ro=$(cat /sys/block/vdb/ro)"
echo "guest: vda_serial=$(cat /sys/block/vda/serial)"
echo "guest: pattern_md5=$(pattern | sum)"

pattern | dd of=/dev/vda bs=65536 seek=16 conv=fsync 2>/dev/null || echo "guest: write failed"
sync
echo 3 > /proc/sys/vm/drop_caches
echo "guest: readback_md5=$(dd if=/dev/vda bs=65536 skip=16 count=16 2>/dev/null | sum)"

blkdiscard -o 4194304 -l 65536 /dev/vda && echo "guest: discard=ok"
echo 3 > /proc/sys/vm/drop_caches
echo "guest: discarded_md5=$(dd if=/dev/vda bs=65536 skip=64 count=1 2>/dev/null | sum)"

if dd if=/dev/zero of=/dev/vdb bs=512 count=1 conv=fsync 2>/dev/null; then
	echo "guest: ro_write=accepted"
else
	echo "guest: ro_write=refused"
fi
echo "guest: vdb_md5=$(dd if=/dev/vdb bs=65536 2>/dev/null | sum)"
