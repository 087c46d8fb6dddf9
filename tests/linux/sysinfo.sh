# What the guest sees, one key=value a line, for the host side to check.
echo "guest: cpus=$(grep -c ^processor /proc/cpuinfo)"
echo "guest: online=$(cat /sys/devices/system/cpu/online)"
echo "guest: memtotal_kib=$(dmesg | sed -n "s/.*Memory: [0-9]*K\/\([0-9]*\)K.*/\1/p" | head -n 1)"
echo "guest: rtc=$(cat /sys/class/rtc/rtc0/since_epoch 2>/dev/null)"
echo "guest: dt_memory=$(od -A n -t x1 /proc/device-tree/memory@80000000/reg | tr -d ' \n')"
