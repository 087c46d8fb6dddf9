#ifndef VMM_FDT_H
#define VMM_FDT_H

/*
 * How a device describes itself in the guest's device tree. The arch owns
 * the tree (its cpus, interrupt controller, interrupt cells); a device only
 * says what it is, where, and on which interrupt line.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/compiler.h"

/* The tree being built (the arch's; opaque here). */
struct fdt_params;

/* A memory-mapped device as the device tree describes it. */
struct fdt_device {
	const char *name;		/* node name without unit address, e.g. "pl011" */
	const char *compatible;		/* NUL-separated list, e.g. "arm,pl011\0arm,primecell" */
	size_t compatible_len;		/* bytes in compatible, the last NUL included */
	uint64_t base, size;
	int irq;			/* device interrupt line (see devices.h), or -1 */
	bool primecell_clocks;		/* an AMBA PrimeCell: its uartclk and apb_pclk */
	bool dma_coherent;
	bool edge;			/* edge-triggered (rising), else level-high */
	bool is_stdout;			/* the console: /chosen's stdout-path names it */
	const char *alias;		/* a name in /aliases (e.g. "serial1"), or NULL */
};

/* Adds a node for d (the strings must outlive the build). -ENOSPC when full. */
int fdt__add_device(struct fdt_params *p, const struct fdt_device *d) __must_check;

#endif
