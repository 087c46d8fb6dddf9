#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm/devcfg.h"
#include "vmm/devices.h"
#include "vmm/persist.h"
#include "vmm/snapshot.h"
#include "vmm/virtio.h"
#include "vmm/vm.h"

static const struct device_ops *const all_devices[] = {
	&pl011_device,
	&pl031_device,
	&testdev_device,
	&virtio_devices,
	&exec_doorbell_device,	/* last: a snapshot's sections are numbered by this list */
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
			/* A device that refused its input or this host has said why. */
			if (err != -VMM_ERR_INPUT && err != -VMM_ERR_HOST)
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

void devices__pause(struct vm *vm)
{
	for (size_t i = 0; i < ARRAY_SIZE(all_devices); i++)
		if (wanted(all_devices[i], vm) && all_devices[i]->pause)
			all_devices[i]->pause(vm);
}

void devices__resume(struct vm *vm)
{
	for (size_t i = 0; i < ARRAY_SIZE(all_devices); i++)
		if (wanted(all_devices[i], vm) && all_devices[i]->resume)
			all_devices[i]->resume(vm);
}

int devices__fdt(struct vm *vm, struct fdt_params *p)
{
	int err = 0;

	for (size_t i = 0; i < ARRAY_SIZE(all_devices) && !err; i++) {
		if (wanted(all_devices[i], vm) && all_devices[i]->fdt_node)
			err = all_devices[i]->fdt_node(vm, p);
	}
	return err;
}

/* How many devices before the k-th of d (a type with several) are named name. */
static unsigned nth_named(struct vm *vm, const struct device_ops *d, unsigned k,
			  const char *name)
{
	unsigned n = 0;

	for (unsigned j = 0; j < k; j++)
		n += !strcmp(d->instance_name(vm, j), name);
	return n;
}

/*
 * The instance of the section of device d (its k-th device when it has
 * several). Format 1.1 keys it by device type and instance, which stay the
 * same when devices are added; format 1.0 keyed it by its place in
 * all_devices[] as it was then (devcfg__device_key_1_0).
 */
static uint32_t section_key(struct vm *vm, uint32_t minor, const struct device_ops *d,
			    bool several, unsigned k)
{
	const char *name = several ? d->instance_name(vm, k) : d->name;

	if (minor == 0)
		return devcfg__device_key_1_0(name, k);
	return devcfg__device_key(name, several ? nth_named(vm, d, k, name) : 0);
}

/* One section: the device's name, then what save wrote. */
static int save_section(struct snap_writer *w, uint32_t instance, const char *name,
			struct vm *vm, const struct device_ops *d, unsigned k)
{
	struct pbuf b;
	int err;

	if (!instance) {
		pr_err("snapshot: the %s device has no snapshot type (vmm/devcfg.c)", name);
		return -EINVAL;
	}
	pbuf__init(&b);
	pbuf__put_str(&b, name);
	if (d->count)
		d->save_one(vm, k, &b);
	else
		d->save(vm, &b);
	err = b.failed ? -ENOMEM : snap__add(w, SNAP_SEC_DEVICE, instance, SNAP_VER_DEVICE,
					      b.data, b.len);
	pbuf__free(&b);
	if (err)
		pr_err("snapshot: cannot save the %s device: %s", name, strerror(-err));
	return err;
}

/*
 * A device section holds the device's name (so a snapshot never feeds one
 * device's state to another) and then what its save() wrote.
 */
int devices__save(struct vm *vm, struct snap_writer *w)
{
	for (size_t i = 0; i < ARRAY_SIZE(all_devices); i++) {
		const struct device_ops *d = all_devices[i];
		int err = 0;

		if (!wanted(d, vm))
			continue;
		if (d->save)
			err = save_section(w, section_key(vm, SNAP_FORMAT_MINOR, d, false, 0),
					   d->name, vm, d, 0);
		for (unsigned k = 0; !err && d->count && k < d->count(vm); k++)
			err = save_section(w, section_key(vm, SNAP_FORMAT_MINOR, d, true, k),
					   d->instance_name(vm, k), vm, d, k);
		if (err)
			return err;
	}
	return 0;
}

static int restore_section(struct vm *vm, const struct device_ops *d, unsigned k,
			   const char *name, const struct snap_section *sec, char *err,
			   size_t errlen)
{
	struct preader r;
	int ret;

	preader__init(&r, sec->data, sec->len);
	if (!preader__str_is(&r, name)) {
		snprintf(err, errlen, "device %u: not the %s device's state", sec->instance, name);
		return -VMM_ERR_INPUT;
	}
	if (sec->version != SNAP_VER_DEVICE)
		ret = -1;
	else
		ret = d->count ? d->restore_one(vm, k, &r) : d->restore(vm, &r);
	if (ret || !preader__done(&r)) {
		snprintf(err, errlen, "device %s: bad state (version %u, %zu bytes)", name,
			 sec->version, sec->len);
		return -VMM_ERR_INPUT;
	}
	return 0;
}

static int restore_instance(struct vm *vm, const struct device_ops *d, uint32_t instance,
			    unsigned k, const char *name, const struct snap_reader *r,
			    char *err, size_t errlen)
{
	const struct snap_section *sec = snap__find(r, SNAP_SEC_DEVICE, instance);

	if (!sec) {
		snprintf(err, errlen, "device %s: no saved state", name);
		return -VMM_ERR_INPUT;
	}
	return restore_section(vm, d, k, name, sec, err, errlen);
}

int devices__restore(struct vm *vm, const struct snap_reader *r, char *err, size_t errlen)
{
	for (size_t i = 0; i < ARRAY_SIZE(all_devices); i++) {
		const struct device_ops *d = all_devices[i];
		int ret = 0;

		if (!wanted(d, vm))
			continue;
		if (d->restore)
			ret = restore_instance(vm, d, section_key(vm, r->minor, d, false, 0), 0,
					       d->name, r, err, errlen);
		for (unsigned k = 0; !ret && d->count && k < d->count(vm); k++)
			ret = restore_instance(vm, d, section_key(vm, r->minor, d, true, k), k,
					       d->instance_name(vm, k), r, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}
