# Helpers for the test-bed tests (sourced; POSIX sh under busybox).
# A test runs in its own output directory with VMM, GUESTS, TESTS and
# PROFILE set; it fails by calling fail or by exiting non-zero.

fail() {
	echo "FAIL: $*"
	# A vmm left in the background would hold its socket against a retry.
	[ -n "${VMM_PID:-}" ] && kill -9 "$VMM_PID" 2>/dev/null
	[ -n "${RECV_PID:-}" ] && kill -9 "$RECV_PID" 2>/dev/null
	exit 1
}

# run_vmm OUT ARGS...: runs vmm (or, when ARGS starts with a path, that
# script with VMM set) under a time limit, stdout and stderr to OUT; its
# exit status goes to RC. The output is captured on tmpfs first:
# the guest console writes byte by byte, and each write to a file on the
# 9p share is a round trip to the outer qemu.
run_vmm() {
	_out=$1
	shift
	case "$1" in
	*/*) timeout "${VMM_TIMEOUT:-60}" env VMM="$VMM" "$@" > /tmp/run_vmm.out 2>&1 ;;
	*) timeout "${VMM_TIMEOUT:-60}" "$VMM" "$@" > /tmp/run_vmm.out 2>&1 ;;
	esac
	RC=$?
	cp /tmp/run_vmm.out "$_out"
}

# linux_guest OUT TEST ARGS...: boots the Linux guest running
# tests/linux/TEST.sh, with more vmm ARGS.
linux_guest() {
	_out=$1 _test=$2
	shift 2
	run_vmm "$_out" run -k "$KERNEL" -i "$LINUX_INITRD" \
		-p "console=ttyAMA0 quiet vmm.test=$_test" "$@"
}

# The value the Linux guest printed as "guest: KEY=VALUE".
guest_value() {
	sed -n "s/^guest: $1=//p" "$2" | tr -d '\r' | tail -n 1
}

expect_guest() {
	_got=$(guest_value "$1" "$3")
	[ "$_got" = "$2" ] || { tail -n 20 "$3"; fail "$3: guest $1 is '${_got:-nothing}', want '$2'"; }
}

# The last value a guest reported under KEY in FILE ("" when none).
report() {
	sed -n "s/^testdev: $1=//p" "$2" | tail -n 1
}

# Every value reported under keys matching a pattern, in order.
reports() {
	sed -n "s/^testdev: $1=//p" "$2"
}

expect_report() {
	_got=$(report "$1" "$3")
	[ "$_got" = "$2" ] || fail "$3: report $1 is '${_got:-nothing}', want '$2'"
}

expect_rc() {
	[ "$RC" = "$1" ] || { tail -n 20 "$2"; fail "$2: vmm exit status $RC, want $1"; }
}

expect_line() {
	grep -q -- "$1" "$2" || { tail -n 20 "$2"; fail "$2: no line matching '$1'"; }
}

# The host's SVE lengths in bits ("" without SVE): the set each profile's
# emulated CPU gives (scripts/testbed), independent of vmm.
profile_sve_set() {
	case "$PROFILE" in
	sve-big) echo 128,256,512 ;;
	sve-small) echo 128,256 ;;
	sve-odd) echo 128,256,384 ;;
	sve-full | max) echo 128,256,384,512,640,768,896,1024,1152,1280,1408,1536,1664,1792,1920,2048 ;;
	nosve | neoverse-n1) echo "" ;;
	a64fx) echo 128,256,512 ;;
	*) fail "unknown profile $PROFILE" ;;
	esac
}

# The largest IPA size the profile's emulated CPU gives (its PARange).
profile_ipa_bits() {
	case "$PROFILE" in
	a64fx) echo 40 ;;
	*) echo 48 ;;
	esac
}

# wait_for FILE PATTERN [SECONDS]: waits until FILE has a line matching PATTERN.
wait_for() {
	_i=0
	while [ "$_i" -lt "${3:-60}" ]; do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 1
		_i=$((_i + 1))
	done
	tail -n 20 "$1"
	fail "$1: no line matching '$2' after ${3:-60}s"
}

# start_vmm OUT ARGS...: starts vmm in the background (output on tmpfs,
# as run_vmm); its pid goes to VMM_PID.
start_vmm() {
	_out=$1
	shift
	"$VMM" "$@" < /dev/null > "$_out" 2>&1 &
	VMM_PID=$!
}

# start_guest OUT ARGS...: start_vmm OUT ARGS (a test guest run with
# --testdev), then waits until the guest reports ready=1.
start_guest() {
	start_vmm "$@"
	wait_for "$1" "testdev: ready=1"
}

# wait_vmm: waits for the background vmm; its exit status goes to RC.
wait_vmm() {
	wait "$VMM_PID"
	RC=$?
}

# The distinct-per-line register dump of a snapshot, for bit-exact comparison.
snapshot_regs() {
	"$VMM" snapshot-info "$1" --regs
}

# ---- live migration (docs/migration.md) ----

# start_receiver OUT ADDR ARGS...: starts `vmm receive --listen ADDR ARGS`
# in the background (pid in RECV_PID) and, for a unix: ADDR, waits until it
# listens.
start_receiver() {
	_out=$1 _addr=$2
	shift 2
	"$VMM" receive --listen "$_addr" "$@" < /dev/null > "$_out" 2>&1 &
	RECV_PID=$!
	case "$_addr" in
	unix:*)
		_i=0
		while [ ! -S "${_addr#unix:}" ] && [ "$_i" -lt 300 ]; do
			kill -0 "$RECV_PID" 2>/dev/null || { cat "$_out"; fail "vmm receive ended before it listened"; }
			sleep 0.1
			_i=$((_i + 1))
		done
		[ -S "${_addr#unix:}" ] || fail "vmm receive does not listen on $_addr" ;;
	*) sleep 1 ;;
	esac
}

# wait_receiver: waits for the background vmm receive; its status in RECV_RC.
wait_receiver() {
	wait "$RECV_PID"
	RECV_RC=$?
	RECV_PID=
}

# migrate_vm OUT API_SOCKET ADDR ARGS...: `vmm migrate` under a time limit
# (as run_vmm); its exit status in RC.
migrate_vm() {
	_out=$1 _api=$2 _addr=$3
	shift 3
	run_vmm "$_out" migrate --api-socket "$_api" --to "$_addr" "$@"
}

# The figure NAME (ms or MB) of migrate's final line in FILE, e.g. downtime.
migrate_figure() {
	sed -n "s/.* $1 \([0-9.]*\) .*/\1/p; s/.*, \([0-9.]*\) MB $1.*/\1/p" "$2" | tail -n 1
}

# ---- Pair tests (a "# pair: PROFILE_A PROFILE_B" line; docs/testing.md) ----
# Each host runs host_a or host_b of the test, with PAIR_ROLE (a or b),
# PAIR_ADDR and PAIR_PEER (10.9.0.1 and 10.9.0.2 on the link between them)
# and PAIR_DIR (a directory both hosts see, fresh for each attempt) set.

# pair_mark NAME [VALUE]: tells the other host that this one has reached
# NAME, with an optional one-line VALUE for pair_get.
pair_mark() {
	printf '%s\n' "${2:-}" > "$PAIR_DIR/$1.$PAIR_ROLE.tmp" &&
		mv "$PAIR_DIR/$1.$PAIR_ROLE.tmp" "$PAIR_DIR/$1.$PAIR_ROLE" ||
		fail "cannot write the pair mark $1"
}

# pair_wait NAME [SECONDS]: waits until the other host has reached NAME;
# fails at once when the other host's test has ended without it, or after
# SECONDS (60).
pair_wait() {
	_i=0
	while [ "$_i" -lt "$((${2:-60} * 5))" ]; do
		[ -f "$PAIR_DIR/$1.$PAIR_PEER_ROLE" ] && return 0
		[ -f "$PAIR_DIR/rc.$PAIR_PEER_ROLE" ] &&
			fail "host $PAIR_PEER_ROLE's test ended (status $(cat "$PAIR_DIR/rc.$PAIR_PEER_ROLE")) before '$1'"
		usleep 200000
		_i=$((_i + 1))
	done
	fail "host $PAIR_PEER_ROLE did not reach '$1' within ${2:-60}s"
}

# pair_get NAME: the VALUE the other host gave with pair_mark NAME.
pair_get() {
	cat "$PAIR_DIR/$1.$PAIR_PEER_ROLE"
}

# The bytes this host has received and sent on the pair's link.
pair_rx_bytes() {
	cat "/sys/class/net/$PAIR_IF/statistics/rx_bytes"
}
pair_tx_bytes() {
	cat "/sys/class/net/$PAIR_IF/statistics/tx_bytes"
}

# pair_auth FILE: a shared secret for migration over tcp (--auth-file), the
# same in FILE (mode 0600) on both hosts: host a makes it, host b takes it.
pair_auth() {
	if [ "$PAIR_ROLE" = a ]; then
		_secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
		pair_mark auth "$_secret"
	else
		pair_wait auth
		_secret=$(pair_get auth)
	fi
	(umask 077 && printf '%s\n' "$_secret" > "$1") || fail "cannot write $1"
}

# wait_listening PORT [SECONDS]: waits until something on this host listens
# on tcp PORT (start_receiver only sleeps a second for a tcp address).
wait_listening() {
	_i=0
	while ! netstat -ltn 2>/dev/null | grep -q ":$1 "; do
		[ "$_i" -lt "$((${2:-30} * 5))" ] || fail "nothing listens on tcp port $1 after ${2:-30}s"
		usleep 200000
		_i=$((_i + 1))
	done
}
