# profiles: sve-big sve-small sve-odd
# timeout: 120
# Every valid VL set of this host, chosen with --sve-vls: the guest's RDVL
# at ZCR_EL1.LEN=15 is the set's maximum, and the distinct RDVL values over
# LEN 0..15 are exactly the set. --sve-max-vl gives the host's set up to a
# length. Invalid sets end with status 3, no VM, and the possible sets.
host=$(profile_sve_set)

# The distinct vl00..vl15 values a guest reported, as "128,256".
guest_set() {
	sed -n "s/^testdev: ${2:-}vl[0-9][0-9]=//p" "$1" | sort -n -u | tr '\n' ',' | sed 's/,$//'
}

check_set() {	# OUT SET
	expect_rc 0 "$1"
	expect_report sve 1 "$1"
	expect_report maxvl "${2##*,}" "$1"
	got=$(guest_set "$1")
	[ "$got" = "$2" ] || fail "$1: the guest can select $got, want $2"
}

# The valid sets are the host's set cut at each of its lengths.
set=
for vl in $(echo "$host" | tr ',' ' '); do
	set=${set:+$set,}$vl
	run_vmm "vls-$vl" run --testdev --sve-vls="$set" -k "$GUESTS/sve-vl.img"
	check_set "vls-$vl" "$set"
	run_vmm "maxvl-$vl" run --testdev --sve-max-vl="$vl" -k "$GUESTS/sve-vl.img"
	check_set "maxvl-$vl" "$set"
done

# max and the default both give the whole set.
run_vmm max run --testdev --sve-vls=max -k "$GUESTS/sve-vl.img"
check_set max "$host"
run_vmm default run --testdev -k "$GUESTS/sve-vl.img"
check_set default "$host"

# Two vcpus report the same set.
run_vmm two run --testdev -c 2 --sve-vls=128,256 -k "$GUESTS/sve-vl.img"
check_set two 128,256
expect_report cpus 2 two
expect_report c1maxvl 256 two
got=$(guest_set two c1)
[ "$got" = 128,256 ] || fail "vcpu 1 can select $got, want 128,256"

# Sets this host cannot give: a hole below the maximum, no 128, a length
# beyond the host's.
possible=$(echo "$host" | awk -F, '{ s = ""; for (i = 1; i <= NF; i++) { c = c (i > 1 ? "," : "") $i; s = s (i > 1 ? " | " : "") c } print s }')
for bad in 256 128,384,512 2048 128,256,384,512; do
	[ "$bad" = "$(echo "$possible" | tr '|' '\n' | sed 's/ //g' | grep -x "$bad")" ] && continue
	run_vmm "bad-$bad" run --testdev --sve-vls="$bad" -k "$GUESTS/sve-vl.img"
	expect_rc 3 "bad-$bad"
	expect_line "vmm: --sve-vls=$bad cannot be given: host SVE lengths $host; possible sets: $possible" "bad-$bad"
	grep -q '^testdev:' "bad-$bad" && fail "bad-$bad: a guest ran"
	[ "$(wc -l < "bad-$bad")" = 1 ] || fail "bad-$bad: more than one line"
done

# Syntax errors are bad input.
for bad in 100 128,128 abc 4096 ""; do
	run_vmm syntax run --testdev --sve-vls="$bad" -k "$GUESTS/sve-vl.img"
	expect_rc 2 syntax
done
