/*
 * The first guest: proves the chain VMM -> KVM -> guest -> doorbell.
 * It reports a fixed magic, a value it computes, and whether it has SVE
 * and the vector length it starts with.
 */
#include "guest.h"

#define HELLO_MAGIC	0x5645564dUL	/* "MVEV" */

int main(u64 dtb)
{
	u64 sum = 0;
	u64 sve = (id_aa64pfr0() >> 32) & 0xf;

	for (u64 i = 1; i <= 100; i++)
		sum += i;
	puts("hello from the test guest\n");
	report("magic", HELLO_MAGIC);
	report("sum", sum);
	report("dtb", dtb != 0);
	report("sve", sve);
	if (sve) {
		sve_set_len(15);
		report("maxvl", sve_rdvl_bytes() * 8);
	}
	return 0;
}
