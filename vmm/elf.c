/*
 * A bounds-checked reader of what an ELF64 little-endian aarch64 file asks
 * of the dynamic loader: PT_INTERP, and from PT_DYNAMIC the DT_NEEDED,
 * DT_RPATH and DT_RUNPATH strings of DT_STRTAB. The file is untrusted:
 * every offset, size and count is checked against its length before use.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/elfdeps.h"
#include "vmm/util.h"

enum {
	EHDR_LEN = 64, PHDR_LEN = 56, DYN_LEN = 16,
	ET_EXEC = 2, ET_DYN = 3, EM_AARCH64 = 183,
	PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3,
	DT_NULL = 0, DT_NEEDED = 1, DT_STRTAB = 5, DT_STRSZ = 10, DT_RPATH = 15, DT_RUNPATH = 29,
	PHNUM_MAX = 4096,
};

struct elf_file {
	const uint8_t *p;
	size_t len;
	uint64_t phoff;
	unsigned phnum, phentsize;
	uint64_t strtab_off, strsz;	/* file offset and size of DT_STRTAB */
	char *err;
	size_t errlen;
};

/* Does [off, off + size) lie inside the file? */
static bool in_file(const struct elf_file *f, uint64_t off, uint64_t size)
{
	return off <= f->len && size <= f->len - off;
}

static int bad(struct elf_file *f, const char *why)
{
	set_err(f->err, f->errlen, "%s", why);
	return -ENOEXEC;
}

static const uint8_t *phdr(const struct elf_file *f, unsigned i)
{
	return f->p + f->phoff + (uint64_t)i * f->phentsize;
}

static int check_header(struct elf_file *f, struct elf_info *info)
{
	const uint8_t *p = f->p;
	uint16_t machine;

	if (f->len < EHDR_LEN || memcmp(p, "\x7f" "ELF", 4))
		return bad(f, "not an ELF file");
	if (p[4] != 2 || p[5] != 1)
		return bad(f, "not a 64-bit little-endian ELF file");
	machine = (uint16_t)get_le(p + 18, 2);
	if (machine != EM_AARCH64) {
		set_err(f->err, f->errlen, "an ELF file for machine %u, not aarch64 (%u)",
			machine, EM_AARCH64);
		return -ENOEXEC;
	}
	info->type = (uint16_t)get_le(p + 16, 2);
	if (info->type != ET_EXEC && info->type != ET_DYN)
		return bad(f, "not an ELF executable or shared object");
	f->phoff = get_le(p + 32, 8);
	f->phentsize = (unsigned)get_le(p + 54, 2);
	f->phnum = (unsigned)get_le(p + 56, 2);
	if (f->phnum > PHNUM_MAX)
		return bad(f, "ELF file with too many program headers");
	if (f->phnum && f->phentsize < PHDR_LEN)
		return bad(f, "ELF program header entries too small");
	if (!in_file(f, f->phoff, (uint64_t)f->phnum * f->phentsize))
		return bad(f, "ELF program headers past the end of the file");
	return 0;
}

/* A copy of the NUL-terminated string at off, which must end before limit. */
static int copy_string(struct elf_file *f, uint64_t off, uint64_t limit, char **out,
		       const char *what)
{
	const uint8_t *s, *nul;

	if (off >= limit || limit > f->len) {
		set_err(f->err, f->errlen, "ELF %s string past the end of its table", what);
		return -ENOEXEC;
	}
	s = f->p + off;
	nul = memchr(s, 0, (size_t)(limit - off));
	if (!nul || nul == s) {
		set_err(f->err, f->errlen, "ELF %s string empty or unterminated", what);
		return -ENOEXEC;
	}
	*out = strndup((const char *)s, (size_t)(nul - s));
	return *out ? 0 : -ENOMEM;
}

static int read_interp(struct elf_file *f, const uint8_t *ph, struct elf_info *info)
{
	uint64_t off = get_le(ph + 8, 8), size = get_le(ph + 32, 8);

	if (info->interp)
		return bad(f, "ELF file with two PT_INTERP headers");
	if (!in_file(f, off, size))
		return bad(f, "ELF PT_INTERP past the end of the file");
	return copy_string(f, off, off + size, &info->interp, "interpreter");
}

/* The file offset of a virtual address, through the PT_LOAD headers. */
static int vaddr_to_off(const struct elf_file *f, uint64_t vaddr, uint64_t *off)
{
	unsigned i;

	for (i = 0; i < f->phnum; i++) {
		const uint8_t *ph = phdr(f, i);
		uint64_t pv = get_le(ph + 16, 8), pfilesz = get_le(ph + 32, 8);

		if (get_le(ph, 4) != PT_LOAD || vaddr < pv || vaddr - pv >= pfilesz)
			continue;
		*off = get_le(ph + 8, 8) + (vaddr - pv);
		return *off >= get_le(ph + 8, 8) ? 0 : -1;	/* no wrap-around */
	}
	return -1;
}

/* The DT_STRTAB string at index val. */
static int dyn_string(struct elf_file *f, uint64_t val, char **out, const char *what)
{
	if (val >= f->strsz) {
		set_err(f->err, f->errlen, "ELF %s string past the end of its table", what);
		return -ENOEXEC;
	}
	return copy_string(f, f->strtab_off + val, f->strtab_off + f->strsz, out, what);
}

static int add_needed(struct elf_file *f, struct elf_info *info, uint64_t name)
{
	char **n;
	int ret;

	if (info->nr_needed >= ELF_NEEDED_MAX)
		return bad(f, "ELF file needs too many libraries");
	n = realloc(info->needed, (info->nr_needed + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	info->needed = n;
	ret = dyn_string(f, name, &n[info->nr_needed], "DT_NEEDED");
	if (!ret)
		info->nr_needed++;
	return ret;
}

static int read_dynamic(struct elf_file *f, const uint8_t *ph, struct elf_info *info)
{
	uint64_t off = get_le(ph + 8, 8), size = get_le(ph + 32, 8), n, i;
	uint64_t strtab = 0, strsz = 0;
	bool have_strtab = false;
	int ret = 0;

	if (info->dynamic)
		return bad(f, "ELF file with two PT_DYNAMIC headers");
	info->dynamic = true;
	if (!in_file(f, off, size))
		return bad(f, "ELF PT_DYNAMIC past the end of the file");
	n = size / DYN_LEN;
	/* First pass: where the string table is. */
	for (i = 0; i < n; i++) {
		const uint8_t *dyn = f->p + off + i * DYN_LEN;
		uint64_t tag = get_le(dyn, 8), val = get_le(dyn + 8, 8);

		if (tag == DT_NULL)
			break;
		if (tag == DT_STRTAB) {
			strtab = val;
			have_strtab = true;
		} else if (tag == DT_STRSZ) {
			strsz = val;
		}
	}
	n = i;
	if (!have_strtab)
		return 0;	/* no strings: nothing is needed by name */
	if (vaddr_to_off(f, strtab, &f->strtab_off) || !in_file(f, f->strtab_off, strsz))
		return bad(f, "ELF DT_STRTAB outside the file");
	f->strsz = strsz;
	for (i = 0; i < n && !ret; i++) {
		const uint8_t *dyn = f->p + off + i * DYN_LEN;
		uint64_t tag = get_le(dyn, 8), val = get_le(dyn + 8, 8);

		if (tag == DT_NEEDED)
			ret = add_needed(f, info, val);
		else if (tag == DT_RPATH && !info->rpath)
			ret = dyn_string(f, val, &info->rpath, "DT_RPATH");
		else if (tag == DT_RUNPATH && !info->runpath)
			ret = dyn_string(f, val, &info->runpath, "DT_RUNPATH");
	}
	return ret;
}

int elf__parse(const uint8_t *data, size_t len, struct elf_info *info, char *err, size_t errlen)
{
	struct elf_file f = { .p = data, .len = len, .err = err, .errlen = errlen };
	unsigned i;
	int ret;

	memset(info, 0, sizeof(*info));
	ret = check_header(&f, info);
	for (i = 0; i < f.phnum && !ret; i++) {
		const uint8_t *ph = phdr(&f, i);

		switch (get_le(ph, 4)) {
		case PT_INTERP:
			ret = read_interp(&f, ph, info);
			break;
		case PT_DYNAMIC:
			ret = read_dynamic(&f, ph, info);
			break;
		}
	}
	if (ret)
		elf__free(info);
	return ret;
}

void elf__free(struct elf_info *info)
{
	size_t i;

	for (i = 0; i < info->nr_needed; i++)
		free(info->needed[i]);
	free(info->needed);
	free(info->interp);
	free(info->rpath);
	free(info->runpath);
	memset(info, 0, sizeof(*info));
}
