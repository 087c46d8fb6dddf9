# profiles: max@6.12:1 sve-big:1 neoverse-n1@6.12:2 max@6.12:3 sve-big:3
# timeout: 300
# A CPU plan across unlike hosts (docs/caps.md, "Planning the CPU"): each
# phase-1 host leaves its `vmm caps --json` in /xfer; neoverse-n1 plans
# with them. Expected from the CPU models, not from vmm: neoverse-n1 has
# no SVE and no SHA3 but has LRCPC and DotProd, like max; a 6.1 host can
# write no ID register, so a feature it has and neoverse-n1 lacks makes it
# a conflict, named. On 6.12, KVM's mask leaves out ID_AA64PFR0_EL1.RAS
# (max has RAS v1p1, neoverse-n1 v1), so max is named too. In phase 3,
# max and sve-big check the plan files live (caps --check-plan): each host
# refuses (3) exactly the plans that name it. On max, `run --cpu-plan`
# refuses the plan of max and neoverse-n1 the same way (exit 3, one line,
# RAS named: 6.12 cannot write ID_AA64PFR0_EL1.RAS nor ID_AA64MMFR2_EL1.IDS,
# docs/caps.md), and runs the plan that accepts both: a Linux guest sees
# what both CPUs share, no sve or sve2, lrcpc and asimddp kept.
x=/xfer/fleet
mkdir -p $x
case "$(uname -r)" in 6.1.*) kernel=6.1 ;; *) kernel=6.12 ;; esac
me=$x/$PROFILE-$kernel.json

# check_plan PLAN RC: caps --check-plan on this host, with the status wanted.
check_plan() {
	run_vmm check-$(basename $1) caps --check-plan=$1
	expect_rc $2 check-$(basename $1)
	if [ $2 = 0 ]; then
		expect_line "^this host can run the plan $1\$" check-$(basename $1)
	else
		expect_line "^vmm: caps --check-plan $1: CPU plan: " check-$(basename $1)
		[ "$(wc -l < check-$(basename $1))" = 1 ] || fail "check-$(basename $1): not one line"
	fi
}

if [ "$PHASE" = 3 ]; then
	case $PROFILE in
	max)
		check_plan $x/plan.json 3
		expect_line ": CPU plan: ID_AA64PFR0_EL1.RAS is 0x1 in the plan, 0x2 on this host: and this host's kernel cannot write it\$" check-plan.json
		check_plan $x/accepted.json 0
		run_vmm run-plan run --cpu-plan $x/plan.json --pmu -k "$GUESTS/hello.img"
		expect_rc 3 run-plan
		expect_line "^vmm: --cpu-plan $x/plan.json: CPU plan: ID_AA64PFR0_EL1.RAS is 0x1 in the plan, 0x2 on this host: and this host's kernel cannot write it\$" run-plan
		[ "$(wc -l < run-plan)" = 1 ] || { cat run-plan; fail "run-plan: not one line"; }
		VMM_TIMEOUT=150 linux_guest accepted-guest cpu-plan --cpu-plan $x/accepted.json --pmu
		expect_rc 0 accepted-guest
		expect_guest cpuinfo_sve 0 accepted-guest
		expect_guest cpuinfo_sve2 0 accepted-guest
		expect_guest cpuinfo_lrcpc 1 accepted-guest
		expect_guest cpuinfo_asimddp 1 accepted-guest
		expect_guest hwcap_sve 0 accepted-guest
		expect_guest hwcap_sve2 0 accepted-guest ;;
	sve-big)
		check_plan $x/plan-61.json 3
		expect_line ": and this host's kernel cannot write it\$" check-plan-61.json ;;
	esac
	exit 0
fi

# Phase 1 clears what phase 2 writes, so phase 3 never reads a stale plan.
[ "$PHASE" = 1 ] && rm -f $x/plan.json $x/plan-61.json $x/accepted.json
run_vmm caps.json caps --json
expect_rc 0 caps.json
cp caps.json "$me"
[ "$PHASE" = 1 ] && exit 0

max=$x/max-6.12.json big=$x/sve-big-6.1.json
[ -s $max ] && [ -s $big ] || fail "the phase-1 hosts left no caps files in $x"

# max and neoverse-n1: no SVE, no SVE2, no SHA3; LRCPC and DotProd kept.
run_vmm plan caps --plan $max "$me"
expect_rc 0 plan
expect_line "^launch with: --sve-vls=off\$" plan
expect_line "^sve: off ($me has none)\$" plan
expect_line "^sve2: off ($me has none)\$" plan
expect_line "^sha3: off ($me has none)\$" plan
expect_line "^CPU features: .* lrcpc" plan
expect_line "^CPU features: .* asimddp" plan
grep -q '^CPU features: .* sve' plan && fail "plan: sve among the CPU features"
expect_line "^conflict: $max: ID_AA64PFR0_EL1.RAS is 0x2, the plan needs 0x1, and its kernel cannot write it\$" plan
expect_line "^conflict: $max: ID_AA64MMFR2_EL1.IDS is 0x1, the plan needs 0x0, and its kernel cannot write it\$" plan
grep -q "^conflict: $max: ID_AA64ISAR0_EL1.SHA3" plan && fail "plan: max's 6.12 cannot lower SHA3?"
grep -q "^conflict: $me:" plan && fail "plan: neoverse-n1 has a conflict, but it has the least of everything"

# The plan file: neoverse-n1 runs it, max cannot; it reads back (JSON).
run_vmm plan.json caps --plan --json $max "$me"
expect_rc 0 plan.json
expect_line "\"file\": \"$me\", .*\"runs_plan\": true}" plan.json
expect_line "\"file\": \"$max\", .*\"runs_plan\": false}" plan.json
expect_line '^    "vcpu_features": \["psci-0.2", "pmu-v3"\],$' plan.json
expect_line '^      "ID_AA64ZFR0_EL1": {"value": "0x0000000000000000", ' plan.json
cp plan.json $x/plan.json
check_plan $x/plan.json 0

# A 6.1 host with SHA3 cannot hide it: named with the field.
run_vmm plan-61 caps --plan "$me" $big
expect_rc 0 plan-61
expect_line "^conflict: $big: ID_AA64ISAR0_EL1.SHA3 is 0x1, the plan needs 0x0, and its kernel cannot write it\$" plan-61
expect_line "^cannot run this plan: $big (" plan-61
run_vmm plan-61.json caps --plan --json "$me" $big
expect_rc 0 plan-61.json
cp plan-61.json $x/plan-61.json
check_plan $x/plan-61.json 0

# The operator accepts RAS and IDS as each host has them: max can run the rest.
run_vmm accepted caps --plan --json --accept=ID_AA64PFR0_EL1.RAS,ID_AA64MMFR2_EL1.IDS $max "$me"
expect_rc 0 accepted
expect_line "\"file\": \"$max\", .*\"runs_plan\": true}" accepted
expect_line '^    "accepted": \["ID_AA64PFR0_EL1.RAS", "ID_AA64MMFR2_EL1.IDS"\],$' accepted
expect_line '^    "conflicts": \[\]$' accepted
cp accepted $x/accepted.json
check_plan $x/accepted.json 0
run_vmm accept-bad caps --plan --accept=DCZID_EL0.BS $max "$me"
expect_rc 2 accept-bad
expect_line "^vmm: caps --plan --accept: DCZID_EL0.BS cannot be accepted: a guest that moves would see another value\$" accept-bad
