#include <string.h>

#include "vmm/devices.h"
#include "vmm/fdt.h"
#include "vmm/vm.h"

static const struct device_ops *const all_devices[] = {
	&pl011_device,
	&pl031_device,
	&testdev_device,
};

static bool wanted(const struct device_ops *d, const struct vm *vm)
{
	return !d->wanted || d->wanted(vm->cfg);
}

int devices__init(struct vm *vm)
{
	for (size_t i = 0; i < ARRAY_SIZE(all_devices); i++) {
		const struct device_ops *d = all_devices[i];
		int err;

		if (!wanted(d, vm) || !d->init)
			continue;
		err = d->init(vm);
		if (err) {
			pr_err("cannot set up the %s device", d->name);
			return err;
		}
	}
	return 0;
}

void devices__exit(struct vm *vm)
{
	for (size_t i = ARRAY_SIZE(all_devices); i-- > 0;) {
		if (wanted(all_devices[i], vm) && all_devices[i]->exit)
			all_devices[i]->exit(vm);
	}
}

void devices__fdt(struct vm *vm, struct fdt_params *p)
{
	for (size_t i = 0; i < ARRAY_SIZE(all_devices); i++) {
		if (wanted(all_devices[i], vm) && all_devices[i]->fdt_node)
			all_devices[i]->fdt_node(vm, p);
	}
}

void devices__add_fdt(struct fdt_params *p, const char *name, const char *compatible,
		      size_t compatible_len, uint64_t base, uint64_t size, int spi,
		      bool primecell_clocks)
{
	struct fdt_device *d;

	if (p->nr_devices >= FDT_MAX_DEVICES)
		return;
	d = &p->devices[p->nr_devices++];
	memset(d, 0, sizeof(*d));
	d->name = name;
	d->compatible = compatible;
	d->compatible_len = compatible_len;
	d->base = base;
	d->size = size;
	d->spi = spi;
	d->primecell_clocks = primecell_clocks;
}
