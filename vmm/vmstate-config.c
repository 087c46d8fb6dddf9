/*
 * The config section (docs/snapshot.md): what it takes to rebuild the VM,
 * written by `vmm snapshot`, read and checked by `vmm restore` and
 * `vmm snapshot-info` before anything is built. The arch's fields come
 * from its hooks (arch__save_config, arch__read_config, arch__check_config).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/persist.h"
#include "vmm/snapshot.h"
#include "vmm/util.h"
#include "vmm/vm.h"
#include "vmm/vmstate.h"

/*
 * u32 vcpus, u64 memory bytes, u32 IPA bits, the arch's fields (with the
 * flags word), str name.
 */
void vmstate__encode_config(const struct vm *vm, struct pbuf *b)
{
	const char *name = vm->cfg->name ? vm->cfg->name : "";

	pbuf__put_u32(b, vm->nr_vcpus);
	pbuf__put_u64(b, vm->ram_size);
	pbuf__put_u32(b, vm->ipa_bits);
	arch__save_config(vm, vm->cfg->testdev ? VMSTATE_CFG_TESTDEV : 0, b);
	pbuf__put_str(b, name);
}

static int config_fail(char *err, size_t errlen, const char *field)
{
	snprintf(err, errlen, "section config: bad %s", field);
	return -VMM_ERR_INPUT;
}

/*
 * Format 1.0 also wrote the memory size in a memory section: when there,
 * it must agree with the config's (1.1 no longer writes it).
 */
static int check_memory_section(const struct snap_reader *r, uint64_t ram_size, char *err,
				size_t errlen)
{
	const struct snap_section *sec = snap__find(r, SNAP_SEC_MEMORY, 0);
	struct preader p;
	uint64_t size;

	if (!sec)
		return 0;
	preader__init(&p, sec->data, sec->len);
	size = preader__get_u64(&p);
	if (preader__done(&p) && size == ram_size)
		return 0;
	snprintf(err, errlen, "section memory: %s%llu bytes, the config says %llu",
		 preader__done(&p) ? "" : "bad length; ", (unsigned long long)size,
		 (unsigned long long)ram_size);
	return -VMM_ERR_INPUT;
}

int vmstate__parse_config(const struct snap_reader *r, struct vm_saved_config *c,
			  char *err, size_t errlen)
{
	const struct snap_section *sec = snap__find(r, SNAP_SEC_CONFIG, 0);
	const char *field;
	struct preader p;
	uint32_t flags;

	memset(c, 0, sizeof(*c));
	if (snap__check_versions(r, err, errlen))
		return -VMM_ERR_INPUT;
	if (!sec)
		return config_fail(err, errlen, "section: missing");
	preader__init(&p, sec->data, sec->len);
	c->nr_vcpus = preader__get_u32(&p);
	c->ram_size = preader__get_u64(&p);
	c->ipa_bits = preader__get_u32(&p);
	flags = arch__read_config(&p, &c->arch);
	if (!preader__get_str(&p, c->name, sizeof(c->name)))
		return config_fail(err, errlen, "name");
	if (!preader__done(&p))
		return config_fail(err, errlen, "length");
	field = arch__check_config(c);
	if (field)
		return config_fail(err, errlen, field);
	c->testdev = flags & VMSTATE_CFG_TESTDEV;
	if (check_memory_section(r, c->ram_size, err, errlen))
		return -VMM_ERR_INPUT;
	return devcfg__parse(r, &c->dev, err, errlen);
}

/*
 * Opened without following a symlink in its last component and without
 * blocking (a FIFO named memory would hang open()), then checked on the
 * descriptor: a stat before the open could look at another file.
 */
int vmstate__open_memory(const char *path, uint64_t size, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	struct stat st;

	if (fd < 0) {
		snprintf(err, errlen, "memory: %s", errno == ELOOP ? "is a symlink" : strerror(errno));
		return -VMM_ERR_INPUT;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "memory: not a regular file");
		close(fd);
		return -VMM_ERR_INPUT;
	}
	if ((uint64_t)st.st_size != size) {
		snprintf(err, errlen, "memory: the file has %llu bytes, the config says %llu",
			 (unsigned long long)st.st_size, (unsigned long long)size);
		close(fd);
		return -VMM_ERR_INPUT;
	}
	return fd;
}
