# profiles: sve-big sve-small sve-odd nosve a64fx@6.12 neoverse-n1@6.12
# timeout: 60
# vmm caps reports what this host's KVM gives: the SVE set of the profile's
# emulated CPU, its IPA limit (48 bits; 40 on a64fx) and API version 12 of the test bed
# (KVM-SVE-FACTS.md), and its CPU: the ID registers (with writable masks on
# 6.12, without on 6.1), the features the host's own Linux lists, the
# node-feature-discovery labels, and that it can run the plan of its own file. --plan finds the common set of several hosts' files;
# a bad file is bad input (2); no /dev/kvm is a host that cannot (3).
want=$(profile_sve_set)

# The value of "KEY": VALUE on its line of the pretty-printed JSON, without
# the trailing comma, spaces or brackets: [128, 256] gives 128,256.
json_value() {
	sed -n "s/^ *\"$1\": \(.*\)$/\1/p" "$2" | head -n 1 | sed 's/,$//; s/[][ ]//g'
}

run_vmm caps.json caps --json
expect_rc 0 caps.json
cp caps.json "/share/caps-$PROFILE.json"

got=$(json_value vector_lengths caps.json)
[ "$got" = "$want" ] || fail "caps.json: sve.vector_lengths is '$got', want '$want'"
[ "$(json_value supported caps.json)" = "$([ -n "$want" ] && echo true || echo false)" ] ||
	fail "caps.json: sve.supported is '$(json_value supported caps.json)' with lengths '$want'"
ipa=$(profile_ipa_bits)
[ "$(json_value ipa_bits_max caps.json)" = "$ipa" ] || fail "caps.json: ipa_bits_max is not $ipa"
[ "$(json_value kvm_api_version caps.json)" = 12 ] || fail "caps.json: kvm_api_version is not 12"
[ "$(json_value format caps.json)" = 1 ] || fail "caps.json: format is not 1"
[ "$(json_value v3 caps.json)" = true ] || fail "caps.json: no GICv3 on a gic-version=3 host"

# Every valid guest set: the host's set cut after each of its lengths.
sets="" prefix=""
for vl in $(echo "$want" | tr ',' ' '); do
	prefix="${prefix:+$prefix,}$vl"
	sets="${sets:+$sets,}[$prefix]"
done
got=$(sed -n 's/^ *"valid_sets": \(.*\)$/\1/p' caps.json | sed 's/,$//; s/ //g')
[ "$got" = "[$sets]" ] || fail "caps.json: sve.valid_sets is '$got', want '[$sets]'"

# The CPU: every register of the feature ID range KVM gives, with the
# writable masks on a kernel that has KVM_ARM_GET_REG_WRITABLE_MASKS (6.7+,
# our 6.12) and without them on 6.1.
grep -q '^      "ID_AA64PFR0_EL1": "0x[0-9a-f]\{16\}",$' caps.json || fail "caps.json: no cpu.id_regs.ID_AA64PFR0_EL1"
grep -q '^      "ID_AA64ISAR0_EL1": "0x[0-9a-f]\{16\}",$' caps.json || fail "caps.json: no cpu.id_regs.ID_AA64ISAR0_EL1"
case "$(uname -r)" in
6.1.*) masks=false n=1 ;;
*) masks=true n=2 ;;
esac
[ "$(json_value writable_masks caps.json)" = $masks ] ||
	fail "caps.json: writable_masks is '$(json_value writable_masks caps.json)' on $(uname -r)"
[ "$(grep -c '^      "ID_AA64PFR0_EL1": ' caps.json)" = $n ] ||
	fail "caps.json: ID_AA64PFR0_EL1 not $n times (value, and mask on 6.7+)"
[ "$(grep -c '"id_reg_masks": {' caps.json)" = $((n - 1)) ] || fail "caps.json: id_reg_masks wrong for $(uname -r)"
[ "$(json_value cntfrq_el0 caps.json)" -gt 0 ] || fail "caps.json: no cntfrq_el0"
[ "$(json_value count caps.json)" -gt 100 ] || fail "caps.json: reg_list.count is small"

# The CPU features named from the ID registers are those the host's own
# Linux lists (less its evtstrm and cpuid, and ssbs, which it hides on
# CPUs with the SSBS erratum).
ours=$(sed -n 's/^    "features": \[\(.*\)\],$/\1/p' caps.json | tr -d '",' | tr ' ' '\n' |
	grep -v -e '^ssbs$' -e '^$' | sort | tr '\n' ' ')
linux=$(sed -n 's/^Features[^:]*: //p' /proc/cpuinfo | head -n 1 | tr ' ' '\n' |
	grep -v -e '^evtstrm$' -e '^cpuid$' -e '^ssbs$' -e '^$' | sort | tr '\n' ' ')
[ -n "$linux" ] && [ "$ours" = "$linux" ] || fail "caps.json: features '$ours', Linux lists '$linux'"

# --labels: node-feature-discovery lines, one per vector length.
run_vmm labels caps --labels
expect_rc 0 labels
max=${want##*,}
expect_line "^vmm-sve-max-vl=${max:-0}\$" labels
for vl in $(echo "$want" | tr ',' ' '); do
	expect_line "^vmm-sve-vl-$vl=true\$" labels
done
[ "$(grep -c '^vmm-sve-vl-' labels)" = "$(echo "$want" | tr ',' '\n' | grep -c .)" ] ||
	fail "labels: not one vmm-sve-vl line per length of '$want'"
[ "$(grep -c '^vmm-cpu-' labels)" -gt 5 ] || fail "labels: no CPU features"
if grep -v '^[a-z0-9][a-z0-9.-]*[a-z0-9]=[A-Za-z0-9]\([A-Za-z0-9._-]*[A-Za-z0-9]\)\{0,1\}$' labels; then
	fail "labels: a line that is no valid label name=value"
fi

# A host can run the plan of its own file; a caps file is no plan (2).
run_vmm own.json caps --plan --json caps.json
expect_rc 0 own.json
expect_line '"runs_plan": true}$' own.json
run_vmm check-own caps --check-plan=own.json
expect_rc 0 check-own
expect_line "^this host can run the plan own.json\$" check-own
run_vmm check-caps caps --check-plan=caps.json
expect_rc 2 check-caps
expect_line '^vmm: caps --check-plan caps.json: missing "common_vector_lengths" (an array)$' check-caps

# The human report names the same set.
run_vmm human caps
expect_rc 0 human
if [ -n "$want" ]; then
	expect_line "^SVE lengths: *$want\$" human
	expect_line "^SVE guest sets: *$(echo "$sets" | sed 's/\],\[/ | /g; s/[][]//g') " human
else
	expect_line "^SVE lengths: *none" human
	expect_line "^SVE guest sets: *none.*--sve-vls=off" human
fi
expect_line "^IPA size: *up to $ipa bits" human

# --plan over two hand-written hosts: {128,256} is the largest set both give.
printf '{"format": 1, "host": "a", "sve": {"supported": true, "vector_lengths": [128, 256, 512]}}\n' > a.json
printf '{"format": 1, "host": "b",\n "sve": {"supported": true, "vector_lengths": [128, 256, 384]}}\n' > b.json
run_vmm plan caps --plan a.json b.json
expect_rc 0 plan
expect_line "^hosts: a.json (a): 128,256,512; b.json (b): 128,256,384\$" plan
expect_line "^largest common SVE set: 128,256\$" plan
expect_line "^launch with: --sve-vls=128,256\$" plan

# This host's own file with a.json: what the rule gives for each profile.
case "$PROFILE" in
sve-big) common=128,256,512 ;;
sve-small | sve-odd) common=128,256 ;;
a64fx) common=128,256,512 ;;
nosve | neoverse-n1) common=off ;;
esac
run_vmm plan-here caps --plan caps.json a.json
expect_rc 0 plan-here
expect_line "^launch with: --sve-vls=$common\$" plan-here
if [ "$common" = off ]; then
	expect_line "^no common SVE set: no SVE on caps.json" plan-here
fi

# Bad input: one line naming the file and the problem, status 2.
printf '{"format": 1, "host": "c", "sve": {"supported": true, "vector_lengths": [128, 200]}}\n' > bad.json
run_vmm bad caps --plan a.json bad.json
expect_rc 2 bad
expect_line '^vmm: caps --plan bad.json: "sve.vector_lengths\[1\]" is 200, not a multiple of 128$' bad
head -c 40 caps.json > cut.json
run_vmm cut caps --plan a.json cut.json
expect_rc 2 cut
expect_line "^vmm: caps --plan cut.json: not valid JSON: " cut
run_vmm missing caps --plan a.json /no/such.json
expect_rc 2 missing
expect_line "^vmm: caps --plan /no/such.json: No such file or directory" missing
run_vmm usage caps --bogus
expect_rc 2 usage
for f in bad cut missing usage; do
	[ "$(wc -l < $f)" = 1 ] || { cat $f; fail "$f: not one line"; }
done

run_vmm help caps --help
expect_rc 0 help
expect_line "^usage: vmm caps" help

# Without /dev/kvm (a private /dev in a mount namespace): status 3.
unshare -m sh -c 'mount -t tmpfs none /dev && exec "$0" caps' "$VMM" > nokvm 2>&1
RC=$?
expect_rc 3 nokvm
expect_line "^vmm: caps: cannot open /dev/kvm: No such file or directory" nokvm
[ -c /dev/kvm ] || fail "/dev/kvm is gone outside the namespace"
