/*
 * The SNAP_SEC_DEVICES section: which devices the VM was started with, so
 * that `vmm restore` builds the same ones. Disks are named by path with
 * their size, device and inode; restore refuses, before it builds
 * anything, a disk that is gone, has another size, is not a regular file
 * reached without a symlink, or (in the same boot) is another file, unless
 * the person restoring names the backing with -d (docs/snapshot.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/devcfg.h"
#include "vmm/persist.h"
#include "vmm/saved-open.h"
#include "vmm/snapshot.h"
#include "vmm/util.h"
#include "vmm/virtio.h"

/*
 * The size of a disk in bytes, and its device and inode, as the path names
 * it now (the VM holds it open): st_size for a file, the ioctl for a block
 * device, whose st_size is 0.
 */
static int disk_identity(const char *path, uint64_t *size, struct stat *st)
{
	int fd, err = 0;

	if (stat(path, st) < 0)
		return -errno;
	*size = (uint64_t)st->st_size;
	if (!S_ISBLK(st->st_mode))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, size) < 0)
		err = -errno;
	if (fd >= 0)
		close(fd);
	return err;
}

/*
 * Version 2: u8 console, u8 rng, u32 disks, per disk str path, u8 ro, u64
 * size; u32 nets, per net str tap, 6 bytes MAC (all that version 1 has);
 * then str boot id and per disk u64 device, u64 inode.
 */
int devcfg__save(const struct vm_config *cfg, struct pbuf *b)
{
	struct stat st[VMM_MAX_DISKS];
	char boot_id[40];

	pbuf__put_u8(b, (uint8_t)cfg->console);
	pbuf__put_u8(b, cfg->rng);
	pbuf__put_u32(b, cfg->nr_disks);
	for (unsigned i = 0; i < cfg->nr_disks; i++) {
		uint64_t size;
		int err = disk_identity(cfg->disks[i].path, &size, &st[i]);

		if (err) {
			pr_err("snapshot: disk %s: %s", cfg->disks[i].path, strerror(-err));
			return err;
		}
		pbuf__put_str(b, cfg->disks[i].path);
		pbuf__put_u8(b, cfg->disks[i].ro);
		pbuf__put_u64(b, size);
	}
	pbuf__put_u32(b, cfg->nr_nets);
	for (unsigned i = 0; i < cfg->nr_nets; i++) {
		pbuf__put_str(b, cfg->nets[i].tap);
		pbuf__put_bytes(b, cfg->nets[i].mac, 6);
	}
	saved_open__boot_id(boot_id, sizeof(boot_id));
	pbuf__put_str(b, boot_id);
	for (unsigned i = 0; i < cfg->nr_disks; i++) {
		pbuf__put_u64(b, (uint64_t)st[i].st_dev);
		pbuf__put_u64(b, (uint64_t)st[i].st_ino);
	}
	return 0;
}

static int bad(char *err, size_t errlen, const char *field)
{
	snprintf(err, errlen, "section devices: bad %s", field);
	return -VMM_ERR_INPUT;
}

/* What Linux takes as an interface name, and nothing a terminal would act on. */
static bool valid_tap(const char *s)
{
	if (!s[0] || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s == 0x7f || *s == '/' || *s == ':' || (unsigned char)*s >= 0x80)
			return false;
	return true;
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
		if (!preader__get_str(p, d->nets[i].tap, sizeof(d->nets[i].tap)) ||
		    !valid_tap(d->nets[i].tap))
			return bad(err, errlen, "tap name");
		preader__get_bytes(p, d->nets[i].mac, 6);
	}
	return 0;
}

/* Version 2's trailer: the boot id, each disk's device and inode. */
static int parse_identity(struct preader *p, struct saved_devices *d, char *err, size_t errlen)
{
	if (!preader__get_str(p, d->boot_id, sizeof(d->boot_id)))
		return bad(err, errlen, "boot id");
	for (unsigned i = 0; i < d->nr_disks; i++) {
		d->disks[i].dev = preader__get_u64(p);
		d->disks[i].ino = preader__get_u64(p);
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
	if (!ret && sec->version >= 2)
		ret = parse_identity(&p, d, err, errlen);
	if (!ret && !preader__done(&p))
		return bad(err, errlen, "length");
	return ret;
}

static int use_named_disks(struct saved_devices *d, const struct restore_backing *b, char *err,
			   size_t errlen)
{
	if (b->nr_disks != d->nr_disks) {
		snprintf(err, errlen, "-d names %u disk%s, the snapshot has %u (restore --check "
			 "lists them in order)", b->nr_disks, b->nr_disks == 1 ? "" : "s",
			 d->nr_disks);
		return -VMM_ERR_INPUT;
	}
	for (unsigned i = 0; i < d->nr_disks; i++) {
		const struct disk_config *n = &b->disks[i];

		if (n->ro != d->disks[i].ro) {
			snprintf(err, errlen, "-d %s%s: the snapshot's disk %u is %s", n->path,
				 n->ro ? ",ro" : "", i, d->disks[i].ro ? "read-only: add ,ro" :
				 "read-write: drop ,ro");
			return -VMM_ERR_INPUT;
		}
		if (strlen(n->path) >= sizeof(d->disks[i].path)) {
			snprintf(err, errlen, "-d %s: the path is too long", n->path);
			return -VMM_ERR_INPUT;
		}
		strcpy(d->disks[i].path, n->path);
		d->expect[i].named = true;
	}
	return 0;
}

static int use_named_taps(struct saved_devices *d, const struct restore_backing *b, char *err,
			  size_t errlen)
{
	if (b->nr_nets != d->nr_nets) {
		snprintf(err, errlen, "-n names %u tap%s, the snapshot has %u (restore --check "
			 "lists them in order)", b->nr_nets, b->nr_nets == 1 ? "" : "s", d->nr_nets);
		return -VMM_ERR_INPUT;
	}
	for (unsigned i = 0; i < d->nr_nets; i++) {
		if (strlen(b->taps[i]) >= sizeof(d->nets[i].tap) || !valid_tap(b->taps[i])) {
			snprintf(err, errlen, "-n tap=%s: not a valid interface name (at most 15 "
				 "bytes)", b->taps[i]);
			return -VMM_ERR_INPUT;
		}
		strcpy(d->nets[i].tap, b->taps[i]);
	}
	return 0;
}

int devcfg__expect(struct saved_devices *d, const struct restore_backing *b, const char *boot_id,
		   char *err, size_t errlen)
{
	bool same_boot = boot_id[0] && !strcmp(boot_id, d->boot_id);
	int ret = 0;

	for (unsigned i = 0; i < d->nr_disks; i++) {
		d->expect[i] = (struct disk_expect){
			.size = d->disks[i].size, .same_file = same_boot,
			.dev = d->disks[i].dev, .ino = d->disks[i].ino,
		};
	}
	if (b && b->nr_disks)
		ret = use_named_disks(d, b, err, errlen);
	if (!ret && b && b->nr_nets)
		ret = use_named_taps(d, b, err, errlen);
	return ret;
}

int devcfg__check_disks(const struct saved_devices *d, char *err, size_t errlen)
{
	for (unsigned i = 0; i < d->nr_disks; i++) {
		const struct disk_config c = { d->disks[i].path, d->disks[i].ro };
		char why[256];
		struct stat st;
		uint64_t size;
		int fd = saved_open__disk(&c, &d->expect[i], &st, &size, why, sizeof(why));

		if (fd < 0) {
			snprintf(err, errlen, "disk %s: %s", c.path, why);
			return -VMM_ERR_INPUT;
		}
		close(fd);
	}
	return 0;
}

void devcfg__to_config(const struct saved_devices *d, struct vm_config *cfg)
{
	cfg->console = d->console;
	cfg->rng = d->rng;
	cfg->nr_disks = d->nr_disks;
	cfg->disk_expect = d->nr_disks ? d->expect : NULL;
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
