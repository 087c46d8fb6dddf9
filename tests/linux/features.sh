# CPU features the guest sees: PMU and pointer authentication.
echo "guest: pmu=$(ls /sys/bus/event_source/devices/ | grep -c armv8_pmuv3)"
f=$(grep -m 1 ^Features /proc/cpuinfo)
case "$f" in *paca*) echo "guest: paca=1" ;; *) echo "guest: paca=0" ;; esac
