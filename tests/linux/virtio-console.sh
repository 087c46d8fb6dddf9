# A shell on hvc0, the virtio console: what it reads comes from vmm's
# terminal through the console's receive queue, what it writes goes back
# through the transmit queue. The prompt names the console it runs on.
[ -c /dev/hvc0 ] || { echo "guest: hvc0=missing"; exit 1; }
echo "guest: hvc0=ready"
PS1='hvc0# ' setsid sh -c 'exec sh -i </dev/hvc0 >/dev/hvc0 2>&1'
