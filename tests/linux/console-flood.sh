# Floods hvc0, the virtio console, for ever (tests/bed/console-stall.sh):
# vmm must keep the guest running and pause it on time while its stdout
# takes nothing.
[ -c /dev/hvc0 ] || { echo "guest: hvc0=missing"; exit 1; }
echo "guest: flood=start"
yes "flood: the quick brown fox jumps over the lazy dog, and again, and again" > /dev/hvc0
