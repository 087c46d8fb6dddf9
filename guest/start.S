/*
 * Entry of a test guest: an arm64 Image header, then set up a stack,
 * enable FP/SIMD and SVE at EL1, clear BSS and call main(dtb).
 * Only the boot vcpu comes here; the others stay off.
 */
	.section .text.head, "ax"
	.global _start
_start:
	b	entry			/* code0 */
	.long	0			/* code1 */
	.quad	0			/* text_offset */
	.quad	_image_size		/* image_size, BSS and stack included */
	.quad	0x2			/* flags: little-endian, 4K pages */
	.quad	0, 0, 0			/* res2-res4 */
	.ascii	"ARM\x64"		/* magic */
	.long	0			/* res5 */

/* CPACR_EL1: FPEN (bits 21:20) and ZEN (bits 17:16) = 0b11, no traps */
	.macro	enable_fp_sve
	mov	x1, #(3 << 20)
	orr	x1, x1, #(3 << 16)
	msr	cpacr_el1, x1
	isb
	.endm

entry:
	mov	x19, x0			/* the DTB address */
	ldr	x1, =_stack_top
	mov	sp, x1
	enable_fp_sve
	ldr	x1, =_bss_start
	ldr	x2, =_bss_end
1:	cmp	x1, x2
	b.hs	2f
	str	xzr, [x1], #8
	b	1b
2:	mov	x0, x19
	bl	main
	bl	guest_exit
3:	wfi
	b	3b

/*
 * Where a secondary vcpu starts after PSCI CPU_ON (guest/lib.c cpu_on):
 * x0 is the context id. It runs secondary_fn(x0) on its own stack, then
 * turns itself off.
 */
	.global secondary_entry
secondary_entry:
	mov	x19, x0
	ldr	x1, =_stack2_top
	mov	sp, x1
	enable_fp_sve
	ldr	x1, =secondary_fn
	ldr	x1, [x1]
	mov	x0, x19
	blr	x1
	bl	cpu_off
4:	wfi
	b	4b
