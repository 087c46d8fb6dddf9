#ifndef VMM_CPIO_H
#define VMM_CPIO_H

/*
 * An initramfs built in memory: a newc ("070701") cpio archive, as the
 * Linux kernel unpacks it (Documentation/driver-api/early-userspace/
 * buffer-format.rst). Names are stored without a leading '/'; every
 * parent directory is added (mode 0755) before the first entry under it;
 * a name is added once. uid, gid and mtime are 0, so the same inputs give
 * the same bytes.
 *
 * Functions return 0 or a negative errno, with a one-line reason in err:
 * -EINVAL a bad name (empty, '.' or '..' components, too long), -EEXIST a
 * name added twice (directories excepted), -EFBIG past a limit, -ENOMEM,
 * and a host file's open/read errors (-ENOENT, -EACCES, ...).
 */
#include <stddef.h>
#include <stdint.h>

#include "vmm/compiler.h"

#define CPIO_NAME_MAX		4095		/* bytes of a name, without its NUL */
#define CPIO_ENTRIES_MAX	65536
#define CPIO_FILE_MAX		0xffffffffULL	/* newc's 32-bit size field */

struct cpio {
	uint8_t *buf;
	size_t len, cap;
	size_t max;		/* the archive's limit in bytes, trailer included */
	uint32_t nr_entries;
	char **names;		/* open-addressing set of the names added */
	size_t names_cap;
	int finished;
};

/* An empty archive of at most max_bytes. */
void cpio__init(struct cpio *c, size_t max_bytes);
void cpio__free(struct cpio *c);

/* A directory (and its parents). Adding an existing directory again is a no-op. */
int cpio__add_dir(struct cpio *c, const char *name, unsigned perm, char *err, size_t errlen) __must_check;
/* A regular file with perm (07777 bits) and the given bytes. */
int cpio__add_file(struct cpio *c, const char *name, unsigned perm, const void *data, size_t len,
		   char *err, size_t errlen) __must_check;
/* A regular file read from host_path (followed if a symlink), with its permission bits. */
int cpio__add_host_file(struct cpio *c, const char *name, const char *host_path,
			char *err, size_t errlen) __must_check;
/* A symbolic link name -> target (stored as given). */
int cpio__add_symlink(struct cpio *c, const char *name, const char *target,
		      char *err, size_t errlen) __must_check;
/* The TRAILER!!! entry; nothing can be added after it. */
int cpio__finish(struct cpio *c, char *err, size_t errlen) __must_check;

#endif
