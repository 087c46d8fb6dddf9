/*
 * libFuzzer target: the readers of `vmm caps --json` and of the plan file
 * (arm64/caps-read.c) and the CPU planner (arm64/cpuplan.c) on files that
 * come from other hosts and may be damaged or hand-edited.
 *
 * The input is one JSON text. It is read as a caps file and as a plan
 * file; a caps file that reads is then planned with itself and with a
 * copy whose every ID register field is one lower, and the plan and its
 * summary are printed to a memory stream. A reader must refuse with a
 * message or accept; the planner must give each host its own conflicts
 * and a plan no host's field exceeds by its rule, and cpuplan__check_host()
 * must refuse exactly the hosts with conflicts. Anything else aborts.
 *
 * Built with -DFUZZ_SEED_MAIN this file is instead a program that copies
 * the caps fixtures (tests/fixtures/caps/) into the directory it is given.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arm64/caps.h"
#include "arm64/cpuid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct host_caps hosts[2];
static struct cpu_plan plan;

/* Each field one lower (where it is above 0), so the plan must differ. */
static void lower_all(struct cpu_desc *d)
{
	struct idreg_field f;

	for (unsigned idx = 0; idx < IDREG_COUNT; idx++) {
		for (unsigned k = 0; idregs__field(idx, k, &f); k++) {
			unsigned v = idregs__field_get(&f, d->value[idx]);

			if (v)
				d->value[idx] -= 1ull << f.shift;
		}
	}
}

static void check_plan(const struct cpu_plan_result *r)
{
	struct idreg_field f;

	for (unsigned i = 0; i < r->nr_conflicts; i++)
		if (r->conflicts[i].host >= 2)
			abort();
	for (unsigned idx = 0; idx < IDREG_COUNT; idx++) {
		if (r->plan.value[idx] & ~r->plan.mask[idx])
			abort();
		for (unsigned k = 0; r->plan.planned[idx] && idregs__field(idx, k, &f); k++) {
			unsigned p = idregs__field_get(&f, r->plan.value[idx]);

			if (!(r->plan.mask[idx] & idregs__field_mask(&f)) ||
			    (f.rule != RULE_LOWER && f.rule != RULE_SIGNED))
				continue;
			for (unsigned h = 0; h < 2; h++)
				if (idregs__compare(&f, p, idregs__field_get(&f, hosts[h].cpu.value[idx])) > 0)
					abort();
		}
	}
}

static void plan_both(void)
{
	const struct cpu_desc *d[2] = { &hosts[0].cpu, &hosts[1].cpu };
	const vq_mask_t sve[2] = { hosts[0].sve, hosts[1].sve };
	struct cpu_plan_result r;

	char err[256];

	if (cpuplan__plan(d, sve, 2, NULL, &r))
		return;
	if (r.missing < 0) {
		check_plan(&r);
		/* The check `vmm run --cpu-plan` makes agrees with the planner's conflicts. */
		for (unsigned h = 0; h < 2; h++)
			if (!cpuplan__check_host(&r.plan, &hosts[h].cpu, hosts[h].sve, err,
						 sizeof(err)) != !cpuplan__host_conflicts(&r, h))
				abort();
	}
	cpuplan__free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];

	if (size > CAPS_FILE_MAX)
		return 0;
	if (cpuplan__parse((const char *)data, size, &plan, err, sizeof(err)) && !err[0])
		abort();	/* a refusal always says why */
	if (caps__parse_json((const char *)data, size, &hosts[0], err, sizeof(err))) {
		if (!err[0])
			abort();
		return 0;
	}
	hosts[1] = hosts[0];
	lower_all(&hosts[1].cpu);
	plan_both();
	return 0;
}

#ifdef FUZZ_SEED_MAIN
static const char *const seeds[] = {
	"max-6.12.json", "a64fx-6.12.json", "neoverse-n1-6.12.json",
	"cortex-a76-6.12.json", "cortex-a72-6.12.json", "sve-big-6.1.json",
};

int main(int argc, char **argv)
{
	char in[512], out[512];
	uint8_t *buf;
	size_t len;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		snprintf(in, sizeof(in), "tests/fixtures/caps/%s", seeds[i]);
		snprintf(out, sizeof(out), "%s/%s", argv[1], seeds[i]);
		if (read_file(in, CAPS_FILE_MAX, &buf, &len)) {
			fprintf(stderr, "%s: cannot read %s\n", argv[0], in);
			return 1;
		}
		f = fopen(out, "wb");
		if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
			fprintf(stderr, "%s: cannot write %s\n", argv[0], out);
			return 1;
		}
		free(buf);
	}
	return 0;
}
#endif
