/*
 * SVE state of guest/sve-state.c: load every SVE register (Z0-Z31,
 * P0-P15, FFR) and FPCR/FPSR from memory, and store them back. Whole
 * registers with LDR/STR (vector and predicate), so every byte of the
 * current vector length moves, and nothing else touches the SVE or FP
 * registers: the C side is built with -mgeneral-regs-only.
 *
 * Memory layout (the caller's buffers): Zn at z + n * VL bytes, Pn at
 * p + n * VL/8 bytes (LDR/STR "MUL VL" scale by the register's size).
 */
	.arch	armv8.2-a+sve
	.text

/*
 * void sve_state_load(const u8 *z, const u8 *p, const u8 *ffr, u64 fpcr, u64 fpsr)
 * FFR goes through P0 (WRFFR needs a monotonic predicate: ones, then
 * zeros), before P0 gets its own value.
 */
	.global sve_state_load
sve_state_load:
	ldr	p0, [x2]
	wrffr	p0.b
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	ldr	p\n, [x1, #\n, mul vl]
	.endr
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	ldr	z\n, [x0, #\n, mul vl]
	.endr
	msr	fpcr, x3
	msr	fpsr, x4
	ret

/*
 * void sve_state_save(u8 *z, u8 *p, u8 *ffr, u64 fp[2])
 * FFR is read through P0 after P0 is stored, and P0 is reloaded from p.
 * fp[0] = FPCR, fp[1] = FPSR.
 */
	.global sve_state_save
sve_state_save:
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	str	z\n, [x0, #\n, mul vl]
	.endr
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	str	p\n, [x1, #\n, mul vl]
	.endr
	rdffr	p0.b
	str	p0, [x2]
	ldr	p0, [x1]
	mrs	x4, fpcr
	mrs	x5, fpsr
	str	x4, [x3]
	str	x5, [x3, #8]
	ret

/* void sve_state_load_z13(const u8 *z): Z13 = the VL bytes at z. */
	.global sve_state_load_z13
sve_state_load_z13:
	ldr	z13, [x0]
	ret

/* u64 counter(void): CNTVCT_EL0, not read ahead of earlier instructions. */
	.global counter
counter:
	isb
	mrs	x0, cntvct_el0
	ret

/* u64 counter_freq(void): CNTFRQ_EL0 in Hz. */
	.global counter_freq
counter_freq:
	mrs	x0, cntfrq_el0
	ret
