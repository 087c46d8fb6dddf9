/*
 * The SNAP_SEC_DEVICES section: which devices the VM was started with, so
 * that `vmm restore` builds the same ones. Disks are named by path with
 * their size; restore refuses, before it builds anything, a disk that is
 * gone or has another size (the guest's view of it would be wrong).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/devcfg.h"
#include "vmm/persist.h"
#include "vmm/snapshot.h"
#include "vmm/util.h"
#include "vmm/virtio.h"

int devcfg__save(const struct vm_config *cfg, struct pbuf *b)
{
	pbuf__put_u8(b, (uint8_t)cfg->console);
	pbuf__put_u8(b, cfg->rng);
	pbuf__put_u32(b, cfg->nr_disks);
	for (unsigned i = 0; i < cfg->nr_disks; i++) {
		struct stat st;

		if (stat(cfg->disks[i].path, &st) < 0) {
			pr_err("snapshot: disk %s: %s", cfg->disks[i].path, strerror(errno));
			return -errno;
		}
		pbuf__put_str(b, cfg->disks[i].path);
		pbuf__put_u8(b, cfg->disks[i].ro);
		pbuf__put_u64(b, (uint64_t)st.st_size);
	}
	pbuf__put_u32(b, cfg->nr_nets);
	for (unsigned i = 0; i < cfg->nr_nets; i++) {
		pbuf__put_str(b, cfg->nets[i].tap);
		pbuf__put_bytes(b, cfg->nets[i].mac, 6);
	}
	return 0;
}

static int bad(char *err, size_t errlen, const char *field)
{
	snprintf(err, errlen, "section devices: bad %s", field);
	return -VMM_ERR_INPUT;
}

static int parse_disks(struct preader *p, struct saved_devices *d, char *err, size_t errlen)
{
	d->nr_disks = preader__get_u32(p);
	if (d->nr_disks > VMM_MAX_DISKS)
		return bad(err, errlen, "number of disks");
	for (unsigned i = 0; i < d->nr_disks; i++) {
		if (!preader__get_str(p, d->disks[i].path, sizeof(d->disks[i].path)) ||
		    !d->disks[i].path[0])
			return bad(err, errlen, "disk path");
		d->disks[i].ro = preader__get_u8(p) != 0;
		d->disks[i].size = preader__get_u64(p);
	}
	return 0;
}

static int parse_nets(struct preader *p, struct saved_devices *d, char *err, size_t errlen)
{
	d->nr_nets = preader__get_u32(p);
	if (d->nr_nets > VMM_MAX_NETS)
		return bad(err, errlen, "number of network devices");
	for (unsigned i = 0; i < d->nr_nets; i++) {
		if (!preader__get_str(p, d->nets[i].tap, sizeof(d->nets[i].tap)) || !d->nets[i].tap[0])
			return bad(err, errlen, "tap name");
		preader__get_bytes(p, d->nets[i].mac, 6);
	}
	return 0;
}

int devcfg__parse(const struct snap_reader *r, struct saved_devices *d, char *err, size_t errlen)
{
	const struct snap_section *sec = snap__find(r, SNAP_SEC_DEVICES, 0);
	struct preader p;
	uint8_t console;
	int ret;

	memset(d, 0, sizeof(*d));
	if (!sec)
		return 0;
	preader__init(&p, sec->data, sec->len);
	console = preader__get_u8(&p);
	d->rng = preader__get_u8(&p) != 0;
	if (console > CONSOLE_VIRTIO)
		return bad(err, errlen, "console");
	d->console = console;
	ret = parse_disks(&p, d, err, errlen);
	ret = ret ?: parse_nets(&p, d, err, errlen);
	if (!ret && !preader__done(&p))
		return bad(err, errlen, "length");
	return ret;
}

int devcfg__check_disks(const struct saved_devices *d, char *err, size_t errlen)
{
	for (unsigned i = 0; i < d->nr_disks; i++) {
		const char *path = d->disks[i].path;
		struct stat st;

		if (stat(path, &st) < 0) {
			snprintf(err, errlen, "disk %s: %s", path, strerror(errno));
			return -VMM_ERR_INPUT;
		}
		if ((uint64_t)st.st_size != d->disks[i].size) {
			snprintf(err, errlen, "disk %s: has %lld bytes, the snapshot's had %llu",
				 path, (long long)st.st_size, (unsigned long long)d->disks[i].size);
			return -VMM_ERR_INPUT;
		}
		if (access(path, d->disks[i].ro ? R_OK : R_OK | W_OK) < 0) {
			snprintf(err, errlen, "disk %s: %s", path, strerror(errno));
			return -VMM_ERR_INPUT;
		}
	}
	return 0;
}

void devcfg__to_config(const struct saved_devices *d, struct vm_config *cfg)
{
	cfg->console = d->console;
	cfg->rng = d->rng;
	cfg->nr_disks = d->nr_disks;
	for (unsigned i = 0; i < d->nr_disks; i++) {
		cfg->disks[i].path = d->disks[i].path;
		cfg->disks[i].ro = d->disks[i].ro;
	}
	cfg->nr_nets = d->nr_nets;
	for (unsigned i = 0; i < d->nr_nets; i++) {
		cfg->nets[i].tap = d->nets[i].tap;
		memcpy(cfg->nets[i].mac, d->nets[i].mac, 6);
	}
}

/*
 * Device types by name: a name is what a device section already starts
 * with, and both stay fixed across vmm versions. A new device type gets a
 * new number here.
 */
static const struct {
	const char *name;
	uint32_t type;
} device_types[] = {
	{ "pl011", SNAP_DEV_PL011 },
	{ "pl031", SNAP_DEV_PL031 },
	{ "testdev", SNAP_DEV_TESTDEV },
	{ "virtio-net", SNAP_DEV_VIRTIO + VIRTIO_ID_NET },
	{ "virtio-blk", SNAP_DEV_VIRTIO + VIRTIO_ID_BLOCK },
	{ "virtio-console", SNAP_DEV_VIRTIO + VIRTIO_ID_CONSOLE },
	{ "virtio-rng", SNAP_DEV_VIRTIO + VIRTIO_ID_RNG },
};

/*
 * Format 1.0 keyed a device by its index in vmm/devices.c's table as it
 * was then: 0 pl011, 1 pl031, 2 testdev, and (3 + 1) << 8 | slot for the
 * virtio device in that slot. Spelled out here so that the table may change.
 */
uint32_t devcfg__device_key_1_0(const char *name, unsigned slot)
{
	static const char *const singles[] = { "pl011", "pl031", "testdev" };

	for (uint32_t i = 0; i < ARRAY_SIZE(singles); i++)
		if (!strcmp(singles[i], name))
			return i;
	return (3 + 1) << 8 | (slot & 0xff);
}

uint32_t devcfg__device_key(const char *name, unsigned n)
{
	for (size_t i = 0; i < ARRAY_SIZE(device_types); i++)
		if (!strcmp(device_types[i].name, name))
			return n <= 0xffff ? SNAP_DEVICE_KEY(device_types[i].type, n) : 0;
	return 0;
}
