#include "guest.h"

/* Must match include/vmm/layout.h and hw/testdev.c. */
#define UART_BASE	0x09000000UL
#define TESTDEV_BASE	0x09020000UL
#define TESTDEV_KEY	0x00
#define TESTDEV_VALUE	0x08
#define PL011_DR	0x00
#define PL011_FR	0x18
#define PL011_FR_TXFF	(1u << 5)

#define PSCI_SYSTEM_OFF	0x84000008UL
#define PSCI_CPU_OFF	0x84000002UL
#define PSCI_CPU_ON	0xc4000003UL

/*
 * Plain single-register loads and stores: KVM can only emulate MMIO
 * accesses whose syndrome it gets from the trap (no writeback, no pairs).
 */
static void mmio_write32(u64 addr, u32 v)
{
	asm volatile("str %w0, [%1]" : : "r"(v), "r"(addr) : "memory");
}

static u32 mmio_read32(u64 addr)
{
	u32 v;

	asm volatile("ldr %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static void mmio_write64(u64 addr, u64 v)
{
	asm volatile("str %0, [%1]" : : "r"(v), "r"(addr) : "memory");
}

static void putc(char c)
{
	while (mmio_read32(UART_BASE + PL011_FR) & PL011_FR_TXFF)
		;
	mmio_write32(UART_BASE + PL011_DR, (u32)c);
}

void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

void put_dec(u64 v)
{
	char buf[21];
	int i = sizeof(buf) - 1;

	buf[i] = 0;
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	puts(&buf[i]);
}

void report(const char *key, u64 value)
{
	u64 packed = 0;

	for (int i = 0; i < 8 && key[i]; i++)
		packed |= (u64)(unsigned char)key[i] << (8 * i);
	mmio_write64(TESTDEV_BASE + TESTDEV_KEY, packed);
	mmio_write64(TESTDEV_BASE + TESTDEV_VALUE, value);
}

static u64 psci(u64 fn, u64 a1, u64 a2, u64 a3)
{
	register u64 x0 asm("x0") = fn;
	register u64 x1 asm("x1") = a1;
	register u64 x2 asm("x2") = a2;
	register u64 x3 asm("x3") = a3;

	asm volatile("hvc #0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x3) : "memory");
	return x0;
}

void guest_exit(void)
{
	psci(PSCI_SYSTEM_OFF, 0, 0, 0);
	for (;;)
		asm volatile("wfi");
}

void (*secondary_fn)(u64);
void secondary_entry(void);

long cpu_on(u64 mpidr, void (*fn)(u64), u64 arg)
{
	secondary_fn = fn;
	return (long)psci(PSCI_CPU_ON, mpidr, (u64)secondary_entry, arg);
}

void cpu_off(void)
{
	psci(PSCI_CPU_OFF, 0, 0, 0);
	for (;;)
		asm volatile("wfi");
}
