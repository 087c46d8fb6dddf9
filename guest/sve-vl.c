/*
 * Reports the vector lengths this vcpu can use: first RDVL with
 * ZCR_EL1.LEN at its largest (the configured maximum), then RDVL for every
 * LEN from 0 to 15. The architecture rounds an unsupported length down to
 * a supported one, so the distinct values are the configured set.
 */
#include "guest.h"

int main(u64 dtb)
{
	u64 sve = (id_aa64pfr0() >> 32) & 0xf;
	char key[8] = "vl";

	report("sve", sve);
	if (!sve)
		return 0;
	sve_set_len(15);
	report("maxvl", sve_rdvl_bytes() * 8);
	for (u64 len = 0; len < 16; len++) {
		sve_set_len(len);
		key[2] = (char)('0' + len / 10);
		key[3] = (char)('0' + len % 10);
		key[4] = 0;
		report(key, sve_rdvl_bytes() * 8);
	}
	puts("sve-vl: done\n");
	return 0;
}
