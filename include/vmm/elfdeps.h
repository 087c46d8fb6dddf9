#ifndef VMM_ELFDEPS_H
#define VMM_ELFDEPS_H

/*
 * What vmm exec packs to run a program: the program as found on PATH, its
 * ELF interpreter and the shared libraries it needs, found as the host's
 * glibc loader finds them, with every symbolic link on the way (so a
 * busybox applet still runs under its own name, and /lib -> usr/lib still
 * resolves in the guest).
 *
 * Files are read as untrusted input: every offset and count of an ELF
 * file and of ld.so.cache is checked against the file's size.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/compiler.h"

#define ELF_NEEDED_MAX		1024	/* DT_NEEDED entries of one object */
#define ELFDEPS_OBJECTS_MAX	4096	/* files and links packed for one program */

/* What one ELF64 little-endian aarch64 file asks of the loader. */
struct elf_info {
	uint16_t type;		/* ET_EXEC or ET_DYN */
	bool dynamic;		/* has PT_DYNAMIC */
	char *interp;		/* PT_INTERP, or NULL */
	char **needed;		/* DT_NEEDED names, in order */
	size_t nr_needed;
	char *rpath, *runpath;	/* DT_RPATH, DT_RUNPATH, or NULL */
};

/*
 * Parses data[0..len). Returns 0, -ENOEXEC with a reason when it is not an
 * ELF64 little-endian aarch64 executable or shared object or is malformed
 * (an offset or size past the end, a string without its NUL, too many
 * entries), or -ENOMEM.
 */
int elf__parse(const uint8_t *data, size_t len, struct elf_info *info,
	       char *err, size_t errlen) __must_check;
void elf__free(struct elf_info *info);

/* One thing to pack: a regular file (link NULL) or a symbolic link. */
struct elfdeps_entry {
	char *path;		/* absolute, in the guest (and under sysroot on the host) */
	char *link;		/* the link's target as stored, or NULL */
};

struct elfdeps {
	char *sysroot;		/* "" for the host's own root */
	char *program;		/* the program's path, as it is called (may be a link) */
	struct elfdeps_entry *entries;
	size_t nr, cap;
	/* the loader's configuration, read once */
	uint8_t *cache;		/* sysroot/etc/ld.so.cache, or NULL */
	size_t cache_len;
	char **conf_dirs;	/* from sysroot/etc/ld.so.conf and its includes */
	size_t nr_conf_dirs;
	struct elf_info main;	/* the executable's (for its DT_RPATH) */
	bool have_main;
	int depth;
};

/*
 * Finds program (a name without '/' is looked up in path_env, as a shell
 * does; NULL means a default PATH) under sysroot ("" or "/" for the host)
 * and collects it, its interpreter (or a script's '#!' interpreter) and
 * every library it needs, recursively, each once.
 *
 * Returns 0, or a negative errno with a one-line reason naming the file:
 * -ENOENT the program, its interpreter or a library was not found (vmm
 * exec's 127), -EACCES or -ENOEXEC it cannot be executed (126), -ELOOP,
 * -E2BIG (past ELFDEPS_OBJECTS_MAX), -ENOMEM.
 */
int elfdeps__resolve(struct elfdeps *d, const char *sysroot, const char *program,
		     const char *path_env, char *err, size_t errlen) __must_check;
void elfdeps__free(struct elfdeps *d);

/* vmm exec's exit status for an elfdeps__resolve error: 127 not found,
 * 126 cannot be executed, 125 anything else. */
int elfdeps__exit_status(int err);

struct cpio;
/* Adds every entry to an initramfs: links as links, files read from under the sysroot. */
int elfdeps__pack(const struct elfdeps *d, struct cpio *c, char *err, size_t errlen) __must_check;

/* Parses an ld.so.cache ("glibc-ld.so.cache1.1") in memory: the path of
 * the first aarch64 libc6 entry named name, or NULL (also for a malformed cache). */
const char *ldcache__lookup(const uint8_t *cache, size_t len, const char *name);

#endif
