/* The arm64 lines of `vmm snapshot-info` (vmm/snapinfo.c prints the rest). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arm64/caps.h"
#include "arm64/cpuid.h"
#include "arm64/vcpu-state.h"
#include "vmm/json.h"
#include "vmm/snapshot.h"
#include "vmm/util.h"
#include "vmm/vmstate.h"

/* Names of the features d has: text, or JSON strings. */
static void put_features(const struct cpu_desc *d, bool json)
{
	const char *name;
	bool has, first = true;

	for (unsigned k = 0; (name = idregs__feature(k, d, &has)); k++) {
		if (has)
			printf(json ? "%s\"%s\"" : "%s%s", first ? "" : json ? ", " : " ", name);
		first = first && !has;
	}
}

/* The CPU vcpu 0 showed the guest: its saved ID registers. */
static void info_guest_cpu(const struct snap_reader *r, struct cpu_desc *d, bool json)
{
	const struct snap_section *sec = snap__find(r, SNAP_SEC_VCPU, 0);
	struct vcpu_state st;
	char err[256];

	if (!sec || vcpu_state__parse(sec->data, sec->len, &st, err, sizeof(err)))
		return;
	memset(d, 0, sizeof(*d));
	for (unsigned i = 0; i < st.nr_regs; i++) {
		for (unsigned idx = 0; idx < IDREG_COUNT; idx++) {
			if (st.regs[i].len != 8 || st.regs[i].id != idregs__reg_id(idx))
				continue;
			d->valid[idx] = true;
			memcpy(&d->value[idx], st.regs[i].value, 8);
		}
	}
	vcpu_state__free(&st);
	fputs(json ? "  \"guest_cpu_features\": [" : "guest CPU features: ", stdout);
	put_features(d, json);
	fputs(json ? "],\n" : "\n", stdout);
}

/* The --cpu-plan the VM was started with (section cpu plan): its VL set and features. */
static void info_cpu_plan(const struct snap_reader *r, struct cpu_desc *d, bool json)
{
	const struct snap_section *sec = snap__find(r, SNAP_SEC_CPU_PLAN, 0);
	struct cpu_plan *plan = malloc(sizeof(*plan));
	unsigned nr = 0;
	char err[256], set[96];

	if (!sec || !plan || cpuplan__parse((const char *)sec->data, sec->len, plan, err,
					    sizeof(err))) {
		if (!json)
			puts(sec ? "CPU plan: unreadable" : "CPU plan: none");
		free(plan);
		return;
	}
	cpuplan__as_desc(plan, d);
	for (unsigned idx = 0; idx < IDREG_COUNT; idx++)
		nr += plan->planned[idx];
	sve__format_set(plan->sve, set, sizeof(set));
	if (json) {
		printf("  \"cpu_plan\": {\"sve_lengths\": [%s], \"id_registers\": %u, "
		       "\"features\": [", plan->sve ? set : "", nr);
		put_features(d, true);
		printf("]},\n");
	} else {
		printf("CPU plan: SVE lengths %s, %u ID registers, features ", plan->sve ? set : "off",
		       nr);
		put_features(d, false);
		putchar('\n');
	}
	free(plan);
}

/* The plan and the CPU the guest saw (a cpu_desc is large: on the heap). */
static void info_cpu(const struct snap_reader *r, bool json)
{
	struct cpu_desc *d = malloc(sizeof(*d));

	if (!d)
		return;
	info_cpu_plan(r, d, json);
	info_guest_cpu(r, d, json);
	free(d);
}

/* The saving host's caps, from the host section; then the CPU (info_cpu). */
void arch__info_host(const struct snap_reader *r, bool json)
{
	const struct snap_section *sec = snap__find(r, SNAP_SEC_HOST, 0);
	struct host_caps h;
	char err[256], set[96];

	info_cpu(r, json);
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
