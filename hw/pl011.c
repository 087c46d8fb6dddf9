/*
 * ARM PrimeCell PL011 UART: the guest console. Transmit goes to the
 * console ring (term__write, which never waits on stdout and drops what
 * does not fit), so the transmit FIFO is always empty and the guest never
 * waits; received bytes wait in a small FIFO and raise the RX interrupt.
 * vmm exec adds two more (ttyAMA1 and ttyAMA2) whose output goes to its
 * stdout and stderr, and sends the console's output to a function of its own.
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "vmm/devices.h"
#include "vmm/fdt.h"
#include "vmm/persist.h"
#include "vmm/term.h"
#include "vmm/vm.h"

enum {
	UART_DR = 0x000, UART_RSR = 0x004, UART_FR = 0x018, UART_ILPR = 0x020,
	UART_IBRD = 0x024, UART_FBRD = 0x028, UART_LCR_H = 0x02c, UART_CR = 0x030,
	UART_IFLS = 0x034, UART_IMSC = 0x038, UART_RIS = 0x03c, UART_MIS = 0x040,
	UART_ICR = 0x044, UART_DMACR = 0x048, UART_ID = 0xfe0,
};

#define FR_RXFE		(1u << 4)
#define FR_TXFF		(1u << 5)
#define FR_RXFF		(1u << 6)
#define FR_TXFE		(1u << 7)
#define INT_RX		(1u << 4)
#define INT_TX		(1u << 5)
#define INT_RT		(1u << 6)
#define INT_ALL		0x7ff

#define RX_FIFO_SIZE	4096
#define NR_UARTS	3	/* the console and vmm exec's two */

/* PeriphID0-3 then PCellID0-3: a PL011 r1p5 on the AMBA bus. */
static const uint8_t pl011_id[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

static struct pl011 {
	pthread_mutex_t lock;
	struct vm *vm;
	uint32_t ris, imsc, cr, lcr_h, ibrd, fbrd, ifls, dmacr;
	uint8_t rx[RX_FIFO_SIZE];
	unsigned rx_head, rx_count;
	int line;
	struct device_place place;
	int out_fd;		/* where transmitted bytes go; -1: the console's way */
} uarts[NR_UARTS] = {
	{ .lock = PTHREAD_MUTEX_INITIALIZER }, { .lock = PTHREAD_MUTEX_INITIALIZER },
	{ .lock = PTHREAD_MUTEX_INITIALIZER },
};

#define uart uarts[0]	/* the console */

/* Drives the SPI from the masked status; the caller holds the lock. */
static void update_irq(struct pl011 *u)
{
	int level = (u->ris & u->imsc) != 0;

	if (level != u->line && u->vm) {
		u->line = level;
		arch__set_spi(u->vm, (unsigned)u->place.irq, level);
	}
}

static uint32_t read_dr(struct pl011 *u)
{
	uint32_t c = 0;

	if (u->rx_count) {
		c = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % RX_FIFO_SIZE;
		u->rx_count--;
	}
	if (!u->rx_count)
		u->ris &= ~(INT_RX | INT_RT);
	return c;
}

static uint32_t read_fr(struct pl011 *u)
{
	uint32_t fr = FR_TXFE;

	if (!u->rx_count)
		fr |= FR_RXFE;
	if (u->rx_count == RX_FIFO_SIZE)
		fr |= FR_RXFF;
	return fr;
}

static uint32_t reg_read(struct pl011 *u, uint64_t off)
{
	if (off >= UART_ID && off < UART_ID + 0x20)
		return pl011_id[(off - UART_ID) / 4];
	switch (off) {
	case UART_DR: return read_dr(u);
	case UART_FR: return read_fr(u);
	case UART_IBRD: return u->ibrd;
	case UART_FBRD: return u->fbrd;
	case UART_LCR_H: return u->lcr_h;
	case UART_CR: return u->cr;
	case UART_IFLS: return u->ifls;
	case UART_IMSC: return u->imsc;
	case UART_RIS: return u->ris;
	case UART_MIS: return u->ris & u->imsc;
	case UART_DMACR: return u->dmacr;
	default: return 0;
	}
}

/*
 * vmm exec's stdout and stderr: the vcpu waits while the reader is slow,
 * so nothing is dropped. Only a kick (the VM stopping: a timeout, a
 * signal) interrupts the write, and then the byte is dropped; so does a
 * closed pipe (SIGPIPE is ignored by vmm exec).
 */
static void write_fd(int fd, uint8_t c)
{
	ssize_t n = write(fd, &c, 1);

	(void)n;
}

static void transmit(struct pl011 *u, uint8_t c)
{
	const struct exec_vm *ex = u->vm ? u->vm->cfg->exec : NULL;

	if (u->out_fd >= 0)
		write_fd(u->out_fd, c);
	else if (ex && ex->console_out)
		ex->console_out(ex->console_ctx, &c, 1);
	else
		term__write(&c, 1);
}

static void reg_write(struct pl011 *u, uint64_t off, uint32_t v)
{
	uint8_t c;

	switch (off) {
	case UART_DR:
		c = (uint8_t)v;
		transmit(u, c);
		u->ris |= INT_TX;	/* sent at once: the FIFO is empty again */
		break;
	case UART_IBRD: u->ibrd = v & 0xffff; break;
	case UART_FBRD: u->fbrd = v & 0x3f; break;
	case UART_LCR_H: u->lcr_h = v & 0xff; break;
	case UART_CR: u->cr = v & 0xffff; break;
	case UART_IFLS: u->ifls = v & 0x3f; break;
	case UART_IMSC: u->imsc = v & INT_ALL; break;
	case UART_ICR: u->ris &= ~v; break;
	case UART_DMACR: u->dmacr = v & 0x7; break;
	default: break;	/* RSR and the read-only registers */
	}
}

static void pl011_mmio(struct mmio_region *region, uint64_t offset, uint8_t *data,
		       uint32_t len, bool is_write)
{
	struct pl011 *u = region->dev;

	pthread_mutex_lock(&u->lock);
	if (is_write)
		reg_write(u, offset, (uint32_t)mmio__get(data, len));
	else
		mmio__put(data, len, reg_read(u, offset));
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

void pl011__input(const uint8_t *buf, size_t len)
{
	struct pl011 *u = &uart;

	pthread_mutex_lock(&u->lock);
	for (size_t i = 0; i < len && u->rx_count < RX_FIFO_SIZE; i++) {
		u->rx[(u->rx_head + u->rx_count) % RX_FIFO_SIZE] = buf[i];
		u->rx_count++;
	}
	if (u->rx_count)
		u->ris |= INT_RX | INT_RT;
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

static unsigned nr_uarts(const struct vm *vm)
{
	return vm->cfg->exec ? NR_UARTS : 1;
}

static int init_one(struct vm *vm, unsigned i)
{
	struct pl011 *u = &uarts[i];
	int err = arch__device_place(DEVICE_UART, i, &u->place);

	if (err)
		return err;
	u->vm = vm;
	u->cr = 0x300;	/* TXE | RXE, the reset value */
	u->ris = INT_TX;
	u->out_fd = i ? vm->cfg->exec->uart_fds[i - 1] : -1;
	return mmio__register(&vm->mmio, u->place.base, u->place.size, pl011_mmio, u, "pl011");
}

static int pl011_init(struct vm *vm)
{
	int err = 0;

	for (unsigned i = 0; i < nr_uarts(vm) && !err; i++)
		err = init_one(vm, i);
	return err;
}

static void pl011_exit(struct vm *vm)
{
	for (unsigned i = 0; i < NR_UARTS; i++)
		uarts[i].vm = NULL;
}

static void pl011_save(struct vm *vm, struct pbuf *b)
{
	struct pl011 *u = &uart;
	const uint32_t regs[] = { u->ris, u->imsc, u->cr, u->lcr_h, u->ibrd, u->fbrd,
				  u->ifls, u->dmacr };

	pthread_mutex_lock(&u->lock);
	for (size_t i = 0; i < ARRAY_SIZE(regs); i++)
		pbuf__put_u32(b, regs[i]);
	pbuf__put_u32(b, u->rx_count);
	for (unsigned i = 0; i < u->rx_count; i++)
		pbuf__put_u8(b, u->rx[(u->rx_head + i) % RX_FIFO_SIZE]);
	pthread_mutex_unlock(&u->lock);
}

static int pl011_restore(struct vm *vm, struct preader *r)
{
	struct pl011 *u = &uart;
	uint32_t *regs[] = { &u->ris, &u->imsc, &u->cr, &u->lcr_h, &u->ibrd, &u->fbrd,
			     &u->ifls, &u->dmacr };
	uint32_t count;

	pthread_mutex_lock(&u->lock);
	for (size_t i = 0; i < ARRAY_SIZE(regs); i++)
		*regs[i] = preader__get_u32(r);
	count = preader__get_u32(r);
	if (count > RX_FIFO_SIZE)
		count = 0, r->failed = true;
	u->rx_head = 0;
	u->rx_count = count;
	preader__get_bytes(r, u->rx, count);
	u->ris &= INT_ALL;
	u->imsc &= INT_ALL;
	u->line = -1;		/* drive the line from the restored state */
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return preader__ok(r) ? 0 : -1;
}

static const char pl011_compatible[] = "arm,pl011\0arm,primecell";

static int pl011_fdt(struct vm *vm, struct fdt_params *p)
{
	static const char *const aliases[NR_UARTS] = { "serial0", "serial1", "serial2" };
	int err = 0;

	for (unsigned i = 0; i < nr_uarts(vm) && !err; i++) {
		const struct fdt_device d = {
			.name = "pl011", .compatible = pl011_compatible,
			.compatible_len = sizeof(pl011_compatible),
			.base = uarts[i].place.base, .size = uarts[i].place.size,
			.irq = uarts[i].place.irq, .primecell_clocks = true, .is_stdout = i == 0,
			/* with several, the kernel numbers them ttyAMA0.. by these */
			.alias = nr_uarts(vm) > 1 ? aliases[i] : NULL,
		};

		err = fdt__add_device(p, &d);
	}
	return err;
}

const struct device_ops pl011_device = {
	.name = "pl011",
	.init = pl011_init,
	.exit = pl011_exit,
	.fdt_node = pl011_fdt,
	.save = pl011_save,
	.restore = pl011_restore,
};
