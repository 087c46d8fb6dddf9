# profiles: sve-big
# timeout: 120
# The control socket (docs/api.md, docs/security.md): mode 0600; the
# status client; a client that leaves before its reply does not kill vmm
# (SIGPIPE); an overlong request is refused, not cut and run; another uid
# is kept out by the mode and, past it, refused by the peer check (one
# line each, logged once); a request must be whole within the 5 s
# deadline; a client trickling a byte a second does not delay a stop from
# another client.
api=/tmp/api-socket.sock
out=/tmp/api-socket.out
# The test host's / is 0700: let uid 65534 reach /tmp, so that only the
# socket's own mode, then the peer check, keep it out.
chmod o+x /
start_vmm $out run --testdev -m 64 --api-socket $api -k "$GUESTS/idle.img"
wait_for $out "testdev: ready=1"
alive() { kill -0 "$VMM_PID" 2>/dev/null || { cp $out vmm.out; fail "vmm died: $*"; }; }

mode=$(ls -l $api | cut -c1-10)
[ "$mode" = srw------- ] || fail "socket mode $mode, want srw-------"
[ "$("$VMM" status --api-socket $api)" = running ] || fail "vmm status is not 'running'"

apiprobe $api early pause > early.out || fail "the early client failed"
i=0
until [ "$("$VMM" status --api-socket $api)" = paused ]; do
	i=$((i + 1))
	[ $i -lt 10 ] || fail "the pause of a client that left early did not run"
	sleep 1
done
alive "after a client left before its reply"
"$VMM" resume --api-socket $api > /dev/null || fail "resume failed"

apiprobe $api long 5000 > long.out
expect_line "^error 2 request longer than 4095 bytes" long.out
alive "after an overlong request"

apiprobe -u 65534 $api send stop > uid-mode.out
[ $? = 3 ] || fail "uid 65534 could connect to a 0600 socket"
expect_line "Permission denied" uid-mode.out
chmod 666 $api
apiprobe -u 65534 $api send stop > uid-peer.out
expect_line "^error 2 uid 65534 may not use this socket" uid-peer.out
apiprobe -u 65534 $api send stop > uid-peer2.out
expect_line "^error 2 uid 65534 may not use this socket" uid-peer2.out
chmod 600 $api
[ "$(grep -c 'refused a client with uid 65534' $out)" = 1 ] || fail "the refusal is not logged exactly once"
alive "after refusing another uid"

# Alone, a trickling client gets an error at its deadline (7 bytes, 7 s).
apiprobe $api trickle status > deadline.out
expect_line "^error 2 no whole request line within 5000 ms" deadline.out

# With one trickling, a stop from another client is answered at once.
apiprobe $api trickle status > trickle.out &
trickler=$!
sleep 2
apiprobe $api send stop > stop.out || fail "stop: no reply"
expect_line "^ok$" stop.out
ms=$(sed -n 's/^ms=//p' stop.out)
echo "stop answered in $ms ms with a client trickling"
[ "$ms" -lt 5000 ] || fail "stop took $ms ms, more than the 5000 ms request deadline"
wait_vmm
cp $out vmm.out
[ "$RC" = 0 ] || fail "vmm exited with $RC after stop"
wait $trickler
expect_line "^closed" trickle.out
[ -e $api ] && fail "the socket file is left behind"
exit 0
