# profiles: sve-big
# timeout: 240
# Console output never holds up the VM (docs/security.md): with stdout a
# full pipe nobody reads (pipehold fills it) and the guest writing on,
# each pause returns within the documented bound (1000 ms), and stop ends
# vmm, which gives up the output stdout did not take and reports how much
# it dropped. (The ring filling up, dropping and saying so once is
# tests/unit/test_term.c: here the emulated PL011 writes a few hundred
# bytes a second, and the 64 KiB ring would take minutes to fill.)
api=/tmp/stall.sock
fifo=/tmp/stall.fifo
err=/tmp/stall.err
hold=/tmp/stall.hold
bound=1000
rm -f $fifo
mkfifo $fifo
pipehold $fifo > $hold &
holder=$!
"$VMM" run --testdev -m 64 --api-socket $api -k "$GUESTS/flood.img" < /dev/null > $fifo 2> $err &
VMM_PID=$!
wait_for $hold "^full" 60
cat $hold
sleep 3		# the guest starts and writes on, into the ring

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
[ "$RC" = 0 ] || { cat vmm.err; fail "vmm exited with $RC"; }
expect_line "console: [0-9]* bytes of guest output dropped: stdout did not keep up" vmm.err
exit 0
