#ifndef VMM_GUEST_H
#define VMM_GUEST_H

/*
 * The library of the freestanding test guests: console output on the
 * PL011, reports to the VMM through the test device's doorbell, and PSCI.
 */
#include <stdint.h>

typedef uint64_t u64;
typedef uint32_t u32;

/* Writes a string on the guest console (the PL011). */
void puts(const char *s);
/* Writes a number in decimal. */
void put_dec(u64 v);
/* Reports key=value to the VMM (8 characters of key at most). */
void report(const char *key, u64 value);
/* Powers the VM off (PSCI SYSTEM_OFF); vmm exits with status 0. */
void __attribute__((noreturn)) guest_exit(void);

/*
 * Starts the vcpu with this MPIDR at fn(arg) on the secondary stack (one
 * secondary at a time). Returns the PSCI status: 0 on success.
 */
long cpu_on(u64 mpidr, void (*fn)(u64), u64 arg);
/* Turns the calling vcpu off (PSCI CPU_OFF). */
void __attribute__((noreturn)) cpu_off(void);

/* SVE helpers (guest/sve.S). */
u64 sve_rdvl_bytes(void);	/* RDVL: the current vector length in bytes */
void sve_set_len(u64 len);	/* ZCR_EL1.LEN = len, then ISB */
u64 id_aa64pfr0(void);

int main(u64 dtb);

#endif
