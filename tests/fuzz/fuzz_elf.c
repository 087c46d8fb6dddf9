/*
 * libFuzzer target: the ELF reader of vmm exec (elf__parse) and the
 * ld.so.cache lookup, both fed untrusted files. A parse must either fail
 * with -ENOEXEC and a one-line message, or give strings that are non-empty,
 * NUL-free and found in the input; anything else aborts.
 *
 * Built with -DFUZZ_SEED_MAIN this file is instead a program that writes a
 * small valid aarch64 ELF file and a cache into the directory it is given.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/elfdeps.h"
#include "vmm/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_string(const char *s, const uint8_t *data, size_t size)
{
	if (!s || !s[0] || !memmem(data, size, s, strlen(s) + 1))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_info info;
	char err[256];
	const char *v;
	size_t i;
	int ret;

	err[0] = 'x';
	ret = elf__parse(data, size, &info, err, sizeof(err));
	if (ret) {
		if (ret != -ENOEXEC || err[0] == 'x' || strchr(err, '\n'))
			abort();
	} else {
		if (info.interp)
			check_string(info.interp, data, size);
		if (info.runpath)
			check_string(info.runpath, data, size);
		if (info.rpath)
			check_string(info.rpath, data, size);
		if (info.nr_needed > ELF_NEEDED_MAX)
			abort();
		for (i = 0; i < info.nr_needed; i++)
			check_string(info.needed[i], data, size);
		elf__free(&info);
	}
	v = ldcache__lookup(data, size, "libc.so.6");
	if (v && !memmem(data, size, v, strlen(v) + 1))
		abort();
	return 0;
}

#ifdef FUZZ_SEED_MAIN
/* An aarch64 executable: PT_LOAD, PT_INTERP, PT_DYNAMIC with two DT_NEEDED and a DT_RUNPATH. */
static size_t seed_elf(uint8_t *p)
{
	static const char strtab[] = "\0libc.so.6\0libm.so.6\0$ORIGIN/lib";
	uint8_t *ph = p + 64, *dyn = p + 256;

	memset(p, 0, 512);
	memcpy(p, "\x7f" "ELF\x02\x01\x01", 7);
	put_le(p + 16, 2, 2);
	put_le(p + 18, 183, 2);
	put_le(p + 32, 64, 8);
	put_le(p + 52, 64, 2);
	put_le(p + 54, 56, 2);
	put_le(p + 56, 3, 2);
	put_le(ph, 1, 4);
	put_le(ph + 16, 0x400000, 8);
	put_le(ph + 32, 512, 8);
	put_le(ph + 56, 3, 4);
	put_le(ph + 56 + 8, 232, 8);
	put_le(ph + 56 + 32, 21, 8);
	memcpy(p + 232, "/lib/ld-aarch64.so.1", 21);
	put_le(ph + 112, 2, 4);
	put_le(ph + 112 + 8, 256, 8);
	put_le(ph + 112 + 32, 96, 8);
	put_le(dyn, 5, 8);
	put_le(dyn + 8, 0x400000 + 352, 8);
	put_le(dyn + 16, 10, 8);
	put_le(dyn + 24, sizeof(strtab), 8);
	put_le(dyn + 32, 1, 8);
	put_le(dyn + 40, 1, 8);
	put_le(dyn + 48, 1, 8);
	put_le(dyn + 56, 11, 8);
	put_le(dyn + 64, 29, 8);
	put_le(dyn + 72, 21, 8);
	memcpy(p + 352, strtab, sizeof(strtab));
	return 512;
}

/* A glibc-ld.so.cache1.1 with one aarch64 libc entry. */
static size_t seed_cache(uint8_t *p)
{
	memset(p, 0, 128);
	memcpy(p, "glibc-ld.so.cache1.1", 20);
	put_le(p + 20, 1, 4);
	put_le(p + 48, 0x0a03, 4);
	put_le(p + 52, 72, 4);
	put_le(p + 56, 82, 4);
	memcpy(p + 72, "libc.so.6", 10);
	memcpy(p + 82, "/lib/libc.so.6", 15);
	return 97;
}

static int write_seed(const char *dir, const char *name, const uint8_t *p, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len) {
		perror(path);
		return 1;
	}
	return fclose(f) != 0;
}

int main(int argc, char **argv)
{
	uint8_t buf[512];

	struct elf_info info;
	char err[160];

	/* a seed that does not parse would be a weak start */
	if (elf__parse(buf, seed_elf(buf), &info, err, sizeof(err)) || info.nr_needed != 2) {
		fprintf(stderr, "seed ELF: %s\n", err);
		return 1;
	}
	elf__free(&info);
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	return write_seed(argv[1], "elf", buf, seed_elf(buf)) ||
	       write_seed(argv[1], "cache", buf, seed_cache(buf));
}
#endif
