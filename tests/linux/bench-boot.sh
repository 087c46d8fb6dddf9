# For boot benchmarks (tests/progs/vmmbench.c): the guest's uptime once
# init runs, so the host can tell the time before the kernel's clock started.
echo "bench: uptime=$(cut -d' ' -f1 /proc/uptime)"
