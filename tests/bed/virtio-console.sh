# profiles: sve-big
# timeout: 90
# --console virtio: the terminal's input goes to the guest's hvc0 and the
# shell there answers on it (the PL011 gets no input). Ctrl-A x quits.
ptyrun "guest: hvc0=ready" "echo hvc-\$((6*7)) \$(tty)" "hvc-42 /dev/hvc0" -- \
	"$VMM" run -k "$KERNEL" -i "$LINUX_INITRD" --console virtio \
	-p "console=ttyAMA0 quiet vmm.test=virtio-console" > out 2>&1
rc=$?
tail -n 5 out
[ $rc = 0 ] || fail "the shell on hvc0 did not answer (ptyrun status $rc)"
expect_line "ptyrun: status=0 restored=yes" out
