/*
 * libFuzzer target: the vcpu section's payload (vcpu_state__parse,
 * arm64/vcpu-state.c), then what restore and snapshot-info do with a parsed
 * state without KVM: each register's name, the saved counter. A parse
 * either succeeds with every register inside the payload and at most
 * VCPU_MAX_REG_BYTES long, or fails with -2 and one line; anything else
 * aborts.
 *
 * Built with -DFUZZ_SEED_MAIN: writes the real snapshot's vcpu payload
 * (tests/fixtures/snapshot-1.0: one vcpu, VL 512, every SVE register) into
 * the corpus directory given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arm64/arm64.h"
#include "arm64/vcpu-state.h"
#include "vmm/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Saving and restoring (KVM) are not fuzzed: never called. */
int arm64__get_reg(int vcpu_fd, uint64_t id, void *value)
{
	abort();
}

int arm64__set_reg(int vcpu_fd, uint64_t id, const void *value)
{
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vcpu_state st;
	uint64_t counter;
	char err[256], name[48];
	int ret;

	err[0] = '\0';
	ret = vcpu_state__parse(data, size, &st, err, sizeof(err));
	if (ret) {
		if (ret != -VMM_ERR_INPUT || strncmp(err, "vcpu", 4) || strchr(err, '\n') ||
		    st.regs)
			abort();
		return 0;
	}
	if (st.nr_regs > VCPU_STATE_MAX_REGS)
		abort();
	for (unsigned i = 0; i < st.nr_regs; i++) {
		const struct saved_reg *g = &st.regs[i];

		if (g->len > VCPU_MAX_REG_BYTES || g->value < data || g->value + g->len > data + size)
			abort();
		vcpu_state__reg_name(g->id, name, sizeof(name));
		if (!memchr(name, '\0', sizeof(name)))
			abort();
		(void)vcpu_state__is_invariant(g->id);
	}
	(void)vcpu_state__counter(&st, &counter);
	vcpu_state__free(&st);
	return 0;
}

#ifdef FUZZ_SEED_MAIN
#include <stdio.h>

#include "seed-fixture.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	return seed_sections(argv[1], SNAP_SEC_VCPU, "", 0) ? 1 : 0;
}
#endif
