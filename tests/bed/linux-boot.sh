# profiles: sve-big sve-big@6.12
# timeout: 240
# Debian's arm64 kernel boots in vmm with a busybox initramfs, with one and
# two vcpus, sees the memory asked for and a clock close to the host's, and
# its poweroff ends vmm with status 0. A gzip-compressed Image boots too.
# A raw Image and the initrd go into guest RAM while the guest runs
# (userfaultfd); a gzip Image, or a host without userfaultfd, has them
# copied first, and --debug says which.
linux_guest one sysinfo -c 1 -m 256 --debug
expect_rc 0 one
expect_line "vmm-guest: init reached" one
expect_line "boot files: loaded while the guest runs (userfaultfd)" one
expect_line "boot files in guest RAM: " one
expect_guest cpus 1 one
expect_guest memtotal_kib $((256 * 1024)) one
expect_guest dt_memory 00000000800000000000000010000000 one

host_now=$(date +%s)
linux_guest two sysinfo -c 2 -m 384
expect_rc 0 two
expect_guest cpus 2 two
expect_guest online 0-1 two
expect_guest memtotal_kib $((384 * 1024)) two
rtc=$(guest_value rtc two)
[ -n "$rtc" ] || fail "the guest read no RTC"
skew=$((rtc - host_now))
# The guest read its RTC during a boot that started at host_now.
[ "$skew" -ge -2 ] && [ "$skew" -le 30 ] || fail "guest RTC $rtc vs host $host_now (skew ${skew}s)"

gzip -c "$KERNEL" > /tmp/Image.gz
linux_guest gz sysinfo -c 1 -m 256 -k /tmp/Image.gz --debug
expect_rc 0 gz
expect_guest cpus 1 gz
expect_line "boot files: copied before the first KVM_RUN (a gzip Image" gz
rm -f /tmp/Image.gz

# userfaultfd(2) failing with ENOSYS, as on a kernel without it (nouffd's filter)
run_vmm nouffd "$(command -v nouffd)" "$VMM" run --debug -k "$KERNEL" -i "$LINUX_INITRD" \
	-p "console=ttyAMA0 quiet vmm.test=sysinfo" -c 1 -m 256
expect_rc 0 nouffd
expect_guest cpus 1 nouffd
expect_line "boot files: copied before the first KVM_RUN (userfaultfd: Function not implemented)" nouffd
