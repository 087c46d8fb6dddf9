# profiles: sve-big
# timeout: 120
# Console output never holds up the VM (docs/security.md): with stdout a
# pipe nobody reads and the guest flooding the PL011, vmm reports once
# that output is dropped, each pause returns within the documented bound
# (1000 ms), and stop ends vmm, which reports how much it dropped.
api=/tmp/stall.sock
fifo=/tmp/stall.fifo
err=/tmp/stall.err
bound=1000
rm -f $fifo
mkfifo $fifo
sleep 600 < $fifo &		# holds the pipe open and never reads
holder=$!
"$VMM" run --testdev -m 64 --api-socket $api -k "$GUESTS/flood.img" < /dev/null > $fifo 2> $err &
VMM_PID=$!
wait_for $err "guest output is being dropped" 60

for i in 1 2 3 4 5; do
	apiprobe $api send pause > pause-$i.out || { cat pause-$i.out; fail "pause $i: no reply"; }
	expect_line "^ok paused" pause-$i.out
	ms=$(sed -n 's/^ms=//p' pause-$i.out)
	echo "pause $i: $ms ms"
	[ "$ms" -le $bound ] || fail "pause $i took $ms ms, over the $bound ms bound"
	apiprobe $api send resume > resume-$i.out || fail "resume $i: no reply"
	sleep 1
done
apiprobe $api send stop > stop.out || fail "stop: no reply"
wait_vmm
cp $err vmm.err
kill $holder
[ "$RC" = 0 ] || fail "vmm exited with $RC"
[ "$(grep -c 'guest output is being dropped' vmm.err)" = 1 ] || fail "the drops are not reported once"
expect_line "console: [0-9]* bytes of guest output dropped: stdout did not keep up" vmm.err
exit 0
