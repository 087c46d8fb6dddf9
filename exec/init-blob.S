/* vmm exec's guest init (build/exec-init), linked into vmm as bytes. */
	.section .rodata
	.balign 16
	.global exec_init_start
exec_init_start:
	.incbin "exec-init"
	.global exec_init_end
exec_init_end:
	.section .note.GNU-stack, "", %progbits
