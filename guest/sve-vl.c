/*
 * Reports the vector lengths a vcpu can use: first RDVL with ZCR_EL1.LEN
 * at its largest (the configured maximum), then RDVL for every LEN from 0
 * to 15. The architecture rounds an unsupported length down to a supported
 * one, so the distinct values are the configured set.
 *
 * With a second vcpu (vmm run -c 2), it starts it with PSCI CPU_ON, lets
 * it measure the same, and reports its values with keys prefixed "c1".
 */
#include "guest.h"

struct vl_probe {
	u64 maxvl;
	u64 vl[16];
};

static struct vl_probe secondary_probe;
static volatile u64 secondary_done;

static void probe(struct vl_probe *p)
{
	sve_set_len(15);
	p->maxvl = sve_rdvl_bytes() * 8;
	for (u64 len = 0; len < 16; len++) {
		sve_set_len(len);
		p->vl[len] = sve_rdvl_bytes() * 8;
	}
}

static void report_probe(const char *prefix, const struct vl_probe *p)
{
	char key[9];
	int n = 0;

	while (prefix[n]) {
		key[n] = prefix[n];
		n++;
	}
	key[n] = 'm'; key[n + 1] = 'a'; key[n + 2] = 'x'; key[n + 3] = 'v'; key[n + 4] = 'l';
	key[n + 5] = 0;
	report(key, p->maxvl);
	for (u64 len = 0; len < 16; len++) {
		key[n] = 'v';
		key[n + 1] = 'l';
		key[n + 2] = (char)('0' + len / 10);
		key[n + 3] = (char)('0' + len % 10);
		key[n + 4] = 0;
		report(key, p->vl[len]);
	}
}

static void secondary(u64 arg)
{
	probe(&secondary_probe);
	secondary_done = 1;
}

int main(u64 dtb)
{
	struct vl_probe mine;
	u64 sve = (id_aa64pfr0() >> 32) & 0xf;

	report("sve", sve);
	if (!sve)
		return 0;
	probe(&mine);
	report_probe("", &mine);
	/* KVM gives vcpu 1 the MPIDR affinity 1. Without it, CPU_ON fails. */
	if (cpu_on(1, secondary, 0) == 0) {
		while (!secondary_done)
			;
		report_probe("c1", &secondary_probe);
		report("cpus", 2);
	} else {
		report("cpus", 1);
	}
	puts("sve-vl: done\n");
	return 0;
}
