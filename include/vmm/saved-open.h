#ifndef VMM_SAVED_OPEN_H
#define VMM_SAVED_OPEN_H

/*
 * Opening the files a snapshot names (vmm/saved-open.c). A snapshot is
 * untrusted input: what it names is opened without following any symlink
 * (openat2 RESOLVE_NO_SYMLINKS), without blocking (a FIFO never hangs
 * vmm), and checked on the open descriptor, never by a stat before the
 * open. docs/security.md says what this covers.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "vmm/compiler.h"
#include "vmm/config.h"

/*
 * Opens path with flags (O_RDONLY or O_RDWR) when it is absolute, no
 * component of it is a symlink and it is a regular file, without opening
 * anything else: it looks through an O_PATH descriptor first, then opens
 * that same inode. Returns the fd (O_CLOEXEC) and its fstat in st, or
 * -VMM_ERR_INPUT with why (without the path) in why.
 */
int saved_open__regular(const char *path, int flags, struct stat *st, char *why,
			size_t whylen) __must_check;

/*
 * Opens disk d as restore must (e from the snapshot): a path the snapshot
 * recorded through saved_open__regular, of the recorded size and, in the
 * same boot, the recorded device and inode; a path given with `restore -d`
 * (e->named) as named, a regular file or a block device of the recorded
 * size. Returns the fd, its fstat in st and its size in bytes in size, or
 * -VMM_ERR_INPUT with why (without the path) in why.
 */
int saved_open__disk(const struct disk_config *d, const struct disk_expect *e, struct stat *st,
		     uint64_t *size, char *why, size_t whylen) __must_check;

/* This boot's id (/proc/sys/kernel/random/boot_id, 36 characters), or "". */
void saved_open__boot_id(char *buf, size_t len);

#endif
