# profiles: sve-big sve-small sve-odd
# timeout: 120
# The SVE state guest without snapshots: it fills Z0-Z31, P0-P15, FFR,
# FPCR and FPSR at the vcpu's largest vector length and checks every byte
# for 3 s of guest time (guest/sve-state.c, the short build). The broken
# build changes the last byte of Z13 after the load, and must say so.
host=$(profile_sve_set)

check_ok() {	# OUT VL
	expect_rc 0 "$1"
	expect_report sve 1 "$1"
	expect_report vl "$2" "$1"
	expect_report ready 1 "$1"
	bad=$(report bad "$1")
	[ -z "$bad" ] || fail "$1: register mismatch bad=$bad (got $(report bad_got "$1"), want $(report bad_want "$1"))"
	expect_report sve_ok 1 "$1"
	passes=$(report passes "$1")
	[ "${passes:-0}" -gt 0 ] || fail "$1: passes is '${passes:-nothing}', want > 0"
	echo "$1: vl=$2 passes=$passes"
}

# The host's largest length, and 256 with --sve-vls=128,256 on one vcpu.
run_vmm max run --testdev -k "$GUESTS/sve-state-short.img"
check_ok max "${host##*,}"
run_vmm vls-256 run --testdev --sve-vls=128,256 -c 1 -k "$GUESTS/sve-state-short.img"
check_ok vls-256 256

# The check can fail: Z13 (register 13), its last byte (VL/8 - 1).
vl=${host##*,}
run_vmm broken run --testdev -k "$GUESTS/sve-state-broken.img"
expect_rc 0 broken
expect_report vl "$vl" broken
expect_report ready 1 broken
expect_report sve_ok 0 broken
expect_report bad $((13 * 65536 + vl / 8 - 1)) broken
expect_report passes 0 broken
