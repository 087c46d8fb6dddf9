/* SVE helpers for the test guests. */
	.arch	armv8.2-a+sve
	.text

	.global sve_rdvl_bytes
sve_rdvl_bytes:
	rdvl	x0, #1
	ret

/* ZCR_EL1 is S3_0_C1_C2_0; LEN is bits 3:0. */
	.global sve_set_len
sve_set_len:
	and	x0, x0, #0xf
	msr	S3_0_C1_C2_0, x0
	isb
	ret

	.global id_aa64pfr0
id_aa64pfr0:
	mrs	x0, id_aa64pfr0_el1
	ret
