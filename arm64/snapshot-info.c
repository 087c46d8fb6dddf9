/* The arm64 lines of `vmm snapshot-info` (vmm/snapinfo.c prints the rest). */
#include <stdio.h>

#include "arm64/caps.h"
#include "arm64/vcpu-state.h"
#include "vmm/json.h"
#include "vmm/snapshot.h"
#include "vmm/util.h"
#include "vmm/vmstate.h"

/* The saving host's caps, from the host section; nothing when it is absent. */
void arch__info_host(const struct snap_reader *r, bool json)
{
	const struct snap_section *sec = snap__find(r, SNAP_SEC_HOST, 0);
	struct host_caps h;
	char err[256], set[96];

	if (!sec || caps__parse_json((const char *)sec->data, sec->len, &h, err, sizeof(err)))
		return;
	sve__format_set(h.sve, set, sizeof(set));
	/* The host's and kernel's names come from the snapshot: escaped. */
	if (json) {
		printf("  \"saved_on\": {\"kernel\": ");
		json__write_string(stdout, h.kernel);
		printf(", \"sve_lengths\": [%s], \"ipa_bits_max\": %u},\n", h.sve ? set : "",
		       h.ipa_bits_max);
	} else {
		fputs("saved on: ", stdout);
		fput_printable(h.host, stdout);
		fputs(", kernel ", stdout);
		fput_printable(h.kernel, stdout);
		printf(", SVE lengths %s, IPA limit %u bits\n", h.sve ? set : "none",
		       h.ipa_bits_max);
	}
}

void arch__info_config(const struct arch_saved_config *a, bool json)
{
	char set[96];

	sve__format_set(a->sve_set, set, sizeof(set));
	if (json)
		printf("  \"vl_set\": [%s],\n", a->sve_set ? set : "");
	else
		printf("VL set: %s\n", a->sve_set ? set : "off");
}

/* Every saved register, one per line: vcpu, name, id, value. */
void arch__info_regs(const struct snap_reader *r, unsigned nr_vcpus)
{
	for (unsigned v = 0; v < nr_vcpus; v++) {
		const struct snap_section *sec = snap__find(r, SNAP_SEC_VCPU, v);
		struct vcpu_state st;
		char err[256], name[48];

		if (!sec || vcpu_state__parse(sec->data, sec->len, &st, err, sizeof(err)))
			continue;
		for (unsigned i = 0; i < st.nr_regs; i++) {
			vcpu_state__reg_name(st.regs[i].id, name, sizeof(name));
			printf("vcpu %u %s 0x%llx ", v, name, (unsigned long long)st.regs[i].id);
			/* Most significant byte first, as the register reads. */
			for (uint32_t b = st.regs[i].len; b-- > 0;)
				printf("%02x", st.regs[i].value[b]);
			printf("\n");
		}
		printf("vcpu %u mp_state %u\n", v, st.mp_state);
		vcpu_state__free(&st);
	}
}
