# The CPU a --cpu-plan gives, as the guest sees it: /proc/cpuinfo's
# Features and the HWCAPs (tests/progs/hwcap.c).
f=" $(grep -m 1 ^Features /proc/cpuinfo | sed 's/^Features[^:]*://') "
for name in sve sve2 asimddp lrcpc; do
	case "$f" in *" $name "*) echo "guest: cpuinfo_$name=1" ;; *) echo "guest: cpuinfo_$name=0" ;; esac
done
hwcap
