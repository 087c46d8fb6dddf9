# profiles: sve-big
# timeout: 90
# At a terminal: the guest's shell answers what is typed (PL011 input and
# its interrupt), Ctrl-A x quits with status 0, and the terminal settings
# are restored.
ptyrun "vmm-guest: init reached" "echo typed-\$((6*7))" "typed-42" -- \
	"$VMM" run -k "$KERNEL" -i "$LINUX_INITRD" -p "console=ttyAMA0 quiet" > out 2>&1
rc=$?
tail -n 5 out
[ $rc = 0 ] || fail "the guest did not answer at the terminal (ptyrun status $rc)"
expect_line "ptyrun: status=0 restored=yes" out
