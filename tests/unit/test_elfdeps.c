/*
 * Unit tests of the ELF reader (vmm/elf.c) and the program resolver
 * (vmm/elfdeps.c). Real aarch64 programs are built here with
 * aarch64-linux-gnu-gcc against the cross libc of this machine
 * (/usr/aarch64-linux-gnu/lib); fake root trees hold copies of them, their
 * loader and libc. Hostile ELF files are built by hand from the ELF64
 * layout (a 64-byte header, 56-byte program headers, 16-byte dynamic
 * entries) and every one must be refused with -ENOEXEC, never read past
 * its end (AddressSanitizer watches).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "vmm/cpio.h"
#include "vmm/elfdeps.h"
#include "vmm/util.h"

#define CROSS_LIB "/usr/aarch64-linux-gnu/lib"

static char tmp[64];

static void run(const char *fmt, ...) __printf(1, 2);
static void run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd))
		fail_msg("command failed: %s", cmd);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	uint8_t *buf;

	assert_int_equal(read_file(path, 1 << 26, &buf, len), 0);
	return buf;
}

/* ---- elf__parse on real files ---- */

static void test_static_has_no_deps(void **state)
{
	char path[128], err[160];
	struct elf_info info;
	uint8_t *buf;
	size_t len;

	snprintf(path, sizeof(path), "%s/static", tmp);
	buf = slurp(path, &len);
	assert_int_equal(elf__parse(buf, len, &info, err, sizeof(err)), 0);
	assert_null(info.interp);
	assert_int_equal(info.nr_needed, 0);
	elf__free(&info);
	free(buf);

	snprintf(path, sizeof(path), "%s/static-pie", tmp);
	buf = slurp(path, &len);
	assert_int_equal(elf__parse(buf, len, &info, err, sizeof(err)), 0);
	assert_true(info.dynamic);
	assert_null(info.interp);
	assert_int_equal(info.nr_needed, 0);
	elf__free(&info);
	free(buf);
}

static void test_dynamic_needs_loader_and_libc(void **state)
{
	char path[128], err[160];
	struct elf_info info;
	uint8_t *buf;
	size_t len;

	snprintf(path, sizeof(path), "%s/dyn", tmp);
	buf = slurp(path, &len);
	assert_int_equal(elf__parse(buf, len, &info, err, sizeof(err)), 0);
	assert_string_equal(info.interp, "/lib/ld-linux-aarch64.so.1");
	assert_int_equal(info.nr_needed, 1);
	assert_string_equal(info.needed[0], "libc.so.6");
	assert_null(info.rpath);
	assert_null(info.runpath);
	elf__free(&info);
	free(buf);

	snprintf(path, sizeof(path), "%s/runpath", tmp);
	buf = slurp(path, &len);
	assert_int_equal(elf__parse(buf, len, &info, err, sizeof(err)), 0);
	assert_string_equal(info.runpath, "$ORIGIN/../opt");
	assert_int_equal(info.nr_needed, 2);
	assert_string_equal(info.needed[0], "libextra.so.1");
	elf__free(&info);
	free(buf);
}

static void test_refuses_other_machines(void **state)
{
	struct elf_info info;
	char err[160];
	uint8_t *buf;
	size_t len;

	buf = slurp("/bin/true", &len);	/* this machine's own: x86-64 */
	assert_int_equal(elf__parse(buf, len, &info, err, sizeof(err)), -ENOEXEC);
	assert_non_null(strstr(err, "not aarch64"));
	free(buf);
	assert_int_equal(elf__parse((const uint8_t *)"#!/bin/sh\n", 10, &info, err, sizeof(err)), -ENOEXEC);
	assert_non_null(strstr(err, "not an ELF"));
}

/* ---- hostile files, built by hand ---- */

enum { LOAD_VA = 0x400000, PH_OFF = 64, INTERP_OFF = 64 + 3 * 56, DYN_OFF = 256, STR_OFF = 352 };

/*
 * A small valid ELF64 aarch64 executable: PT_LOAD over the whole file,
 * PT_INTERP, PT_DYNAMIC with DT_STRTAB, DT_STRSZ, two DT_NEEDED and
 * DT_RUNPATH.
 */
static size_t build_elf(uint8_t *p)
{
	static const char strtab[] = "\0liba.so.1\0libb.so.2\0/r";
	uint8_t *ph, *dyn;

	memset(p, 0, 512);
	memcpy(p, "\x7f" "ELF\x02\x01\x01", 7);
	put_le(p + 16, 2, 2);		/* ET_EXEC */
	put_le(p + 18, 183, 2);		/* EM_AARCH64 */
	put_le(p + 32, PH_OFF, 8);
	put_le(p + 52, 64, 2);
	put_le(p + 54, 56, 2);
	put_le(p + 56, 3, 2);
	ph = p + PH_OFF;
	put_le(ph, 1, 4);		/* PT_LOAD: file 0..512 at LOAD_VA */
	put_le(ph + 16, LOAD_VA, 8);
	put_le(ph + 32, 512, 8);
	put_le(ph + 40, 512, 8);
	ph += 56;
	put_le(ph, 3, 4);		/* PT_INTERP */
	put_le(ph + 8, INTERP_OFF, 8);
	put_le(ph + 32, 20, 8);
	memcpy(p + INTERP_OFF, "/lib/ld-test.so.1", 18);
	ph += 56;
	put_le(ph, 2, 4);		/* PT_DYNAMIC */
	put_le(ph + 8, DYN_OFF, 8);
	put_le(ph + 32, 6 * 16, 8);
	dyn = p + DYN_OFF;
	put_le(dyn, 5, 8);	put_le(dyn + 8, LOAD_VA + STR_OFF, 8);	/* DT_STRTAB */
	put_le(dyn + 16, 10, 8); put_le(dyn + 24, sizeof(strtab), 8);	/* DT_STRSZ */
	put_le(dyn + 32, 1, 8);	put_le(dyn + 40, 1, 8);		/* DT_NEEDED liba */
	put_le(dyn + 48, 1, 8);	put_le(dyn + 56, 11, 8);	/* DT_NEEDED libb */
	put_le(dyn + 64, 29, 8); put_le(dyn + 72, 21, 8);	/* DT_RUNPATH /r */
	memcpy(p + STR_OFF, strtab, sizeof(strtab));
	return 512;
}

/* Parses p[0..len) from an exact-size heap copy. */
static int parse_copy(const uint8_t *p, size_t len, struct elf_info *info, char *err, size_t errlen)
{
	uint8_t *copy = malloc(len ? len : 1);
	int ret;

	assert_non_null(copy);
	memcpy(copy, p, len);
	ret = elf__parse(copy, len, info, err, errlen);
	free(copy);
	return ret;
}

static void test_handmade_elf(void **state)
{
	struct elf_info info;
	uint8_t p[512];
	char err[160];
	size_t len = build_elf(p);

	assert_int_equal(parse_copy(p, len, &info, err, sizeof(err)), 0);
	assert_string_equal(info.interp, "/lib/ld-test.so.1");
	assert_int_equal(info.nr_needed, 2);
	assert_string_equal(info.needed[0], "liba.so.1");
	assert_string_equal(info.needed[1], "libb.so.2");
	assert_string_equal(info.runpath, "/r");
	elf__free(&info);
}

struct patch {
	const char *what;	/* a substring of the message */
	size_t off;
	uint64_t val;
	unsigned n;
};

static void test_hostile_fields(void **state)
{
	static const struct patch patches[] = {
		{ "program headers past", 32, 1ULL << 62, 8 },		/* e_phoff */
		{ "program headers past", 32, 480, 8 },
		{ "too many program headers", 56, 0xffff, 2 },		/* e_phnum */
		{ "program headers past", 56, 4000, 2 },
		{ "too small", 54, 8, 2 },				/* e_phentsize */
		{ "PT_INTERP past", PH_OFF + 56 + 8, ~0ULL - 4, 8 },	/* interp p_offset */
		{ "PT_INTERP past", PH_OFF + 56 + 32, 1ULL << 40, 8 },	/* interp p_filesz */
		{ "empty or unterminated", PH_OFF + 56 + 32, 4, 8 },	/* no NUL inside */
		{ "empty or unterminated", INTERP_OFF, 0, 1 },
		{ "PT_DYNAMIC past", PH_OFF + 112 + 8, 500, 8 },
		{ "PT_DYNAMIC past", PH_OFF + 112 + 32, ~0ULL, 8 },
		{ "DT_STRTAB outside", DYN_OFF + 8, 0x10, 8 },		/* not in PT_LOAD */
		{ "DT_STRTAB outside", DYN_OFF + 24, 1ULL << 63, 8 },	/* DT_STRSZ huge */
		{ "DT_STRTAB outside", PH_OFF + 8, ~0ULL - 100, 8 },	/* PT_LOAD p_offset wraps */
		{ "DT_NEEDED string past", DYN_OFF + 40, 1ULL << 63, 8 },
		{ "DT_NEEDED string past", DYN_OFF + 56, 24, 8 },
		{ "DT_RUNPATH string past", DYN_OFF + 72, ~0ULL, 8 },
		{ "empty or unterminated", DYN_OFF + 24, 3, 8 },	/* strsz cuts liba.so.1 */
		{ "not a 64-bit", 4, 1, 1 },
		{ "not an ELF executable", 16, 1, 2 },			/* ET_REL */
	};
	struct elf_info info;
	uint8_t p[512];
	char err[160];
	size_t i, len;

	for (i = 0; i < ARRAY_SIZE(patches); i++) {
		len = build_elf(p);
		put_le(p + patches[i].off, patches[i].val, patches[i].n);
		err[0] = 0;
		if (parse_copy(p, len, &info, err, sizeof(err)) != -ENOEXEC)
			fail_msg("patch %zu (%s) was not refused", i, patches[i].what);
		if (!strstr(err, patches[i].what))
			fail_msg("patch %zu: message '%s' lacks '%s'", i, err, patches[i].what);
	}
}

/* Every truncation of a real dynamic program is refused or parsed, cleanly. */
static void test_every_truncation(void **state)
{
	char path[128], err[160];
	struct elf_info info;
	uint8_t *buf;
	size_t len, cut;

	snprintf(path, sizeof(path), "%s/dyn", tmp);
	buf = slurp(path, &len);
	for (cut = 0; cut < len; cut += (cut < 1024 ? 1 : 97)) {
		int ret = parse_copy(buf, cut, &info, err, sizeof(err));

		assert_true(ret == 0 || ret == -ENOEXEC);
		if (!ret)
			elf__free(&info);
	}
	free(buf);
}

/* ---- ld.so.cache ---- */

/* A cache with entries (flags, key, value) as glibc's ldconfig writes it. */
static size_t build_cache(uint8_t *p, size_t cap, const int *flags, const char *const *kv, int n)
{
	size_t str = 48 + 24 * (size_t)n, off = str;
	int i;

	memset(p, 0, cap);
	memcpy(p, "glibc-ld.so.cache1.1", 20);
	put_le(p + 20, (uint64_t)n, 4);
	for (i = 0; i < n; i++) {
		uint8_t *e = p + 48 + 24 * i;

		put_le(e, (uint64_t)flags[i], 4);
		put_le(e + 4, off, 4);
		strcpy((char *)p + off, kv[2 * i]);
		off += strlen(kv[2 * i]) + 1;
		put_le(e + 8, off, 4);
		strcpy((char *)p + off, kv[2 * i + 1]);
		off += strlen(kv[2 * i + 1]) + 1;
	}
	put_le(p + 24, off - str, 4);
	return off;
}

static void test_ldcache(void **state)
{
	static const int flags[] = { 0x0303, 0x0a03, 0x0a03 };
	static const char *const kv[] = {
		"libfoo.so.1", "/x86/libfoo.so.1",
		"libfoo.so.1", "/arm/libfoo.so.1",
		"libbar.so.2", "/arm/libbar.so.2",
	};
	uint8_t p[1024];
	size_t len = build_cache(p, sizeof(p), flags, kv, 3), cut;

	assert_string_equal(ldcache__lookup(p, len, "libfoo.so.1"), "/arm/libfoo.so.1");
	assert_string_equal(ldcache__lookup(p, len, "libbar.so.2"), "/arm/libbar.so.2");
	assert_null(ldcache__lookup(p, len, "libbaz.so"));
	for (cut = 0; cut < len; cut++) {	/* truncated: found or not, never read past */
		uint8_t *copy = malloc(cut + 1);
		const char *v;

		memcpy(copy, p, cut);
		v = ldcache__lookup(copy, cut, "libbar.so.2");
		assert_true(!v || !strcmp(v, "/arm/libbar.so.2"));
		free(copy);
	}
	put_le(p + 20, 0xffffffff, 4);		/* nlibs past the end */
	assert_null(ldcache__lookup(p, len, "libfoo.so.1"));
	put_le(p + 20, 3, 4);
	put_le(p + 48 + 24 + 8, 0xfffffff0, 4);	/* value past the end */
	assert_null(ldcache__lookup(p, len, "libfoo.so.1"));
	memcpy(p, "ld.so-1.7.0", 11);		/* the old format is not read */
	assert_null(ldcache__lookup(p, len, "libbar.so.2"));
}

/* ---- resolving against root trees ---- */

/* The root tree: merged /usr, the cross loader and libc, the test programs. */
static char root[96];

static void make_root(void)
{
	snprintf(root, sizeof(root), "%s/root", tmp);
	run("set -e; R=%s; mkdir -p $R/usr/bin $R/usr/lib/aarch64-linux-gnu $R/opt/x $R/etc/ld.so.conf.d $R/job;"
	    "ln -s usr/bin $R/bin; ln -s usr/lib $R/lib;"
	    "ln -s aarch64-linux-gnu/ld-linux-aarch64.so.1 $R/usr/lib/ld-linux-aarch64.so.1;"
	    "cp " CROSS_LIB "/ld-linux-aarch64.so.1 " CROSS_LIB "/libc.so.6 $R/usr/lib/aarch64-linux-gnu/;"
	    "cp %s/dyn %s/static %s/runpath %s/needs-conf $R/usr/bin/;"
	    "cp %s/static $R/usr/bin/busybox; ln -s busybox $R/usr/bin/ls; ln -s /usr/bin/ls $R/usr/bin/abs-ls;"
	    "mkdir -p $R/usr/opt; cp %s/libextra.so.1 $R/usr/opt/;"
	    "mkdir -p $R/srv/conf; cp %s/libconf.so.1 $R/srv/conf/;"
	    "echo 'include ld.so.conf.d/*.conf' > $R/etc/ld.so.conf;"
	    "printf '# comment\\n  /srv/conf  \\n' > $R/etc/ld.so.conf.d/a.conf;"
	    "printf '#!/bin/ls -l\\n' > $R/job/script; chmod 755 $R/job/script;"
	    "printf 'hello\\n' > $R/job/text; chmod 755 $R/job/text;"
	    "cp %s/dyn $R/job/noexec; chmod 644 $R/job/noexec;"
	    "cp /bin/true $R/job/x86; ln -s loop2 $R/job/loop1; ln -s loop1 $R/job/loop2",
	    root, tmp, tmp, tmp, tmp, tmp, tmp, tmp, tmp);
}

static const struct elfdeps_entry *entry(const struct elfdeps *d, const char *path)
{
	size_t i;

	for (i = 0; i < d->nr; i++)
		if (!strcmp(d->entries[i].path, path))
			return &d->entries[i];
	fail_msg("no entry %s", path);
	return NULL;
}

static void expect_link(const struct elfdeps *d, const char *path, const char *target)
{
	const struct elfdeps_entry *e = entry(d, path);

	assert_non_null(e->link);
	assert_string_equal(e->link, target);
}

static void expect_file(const struct elfdeps *d, const char *path)
{
	assert_null(entry(d, path)->link);
}

static void resolve_ok(struct elfdeps *d, const char *program, const char *path_env)
{
	char err[256] = "";

	if (elfdeps__resolve(d, root, program, path_env, err, sizeof(err)))
		fail_msg("resolving %s: %s", program, err);
}

static void test_resolve_dynamic(void **state)
{
	struct elfdeps d;

	resolve_ok(&d, "dyn", "/nonexistent:/bin");
	assert_string_equal(d.program, "/bin/dyn");
	expect_link(&d, "/bin", "usr/bin");
	expect_file(&d, "/usr/bin/dyn");
	expect_link(&d, "/lib", "usr/lib");
	expect_link(&d, "/usr/lib/ld-linux-aarch64.so.1", "aarch64-linux-gnu/ld-linux-aarch64.so.1");
	expect_file(&d, "/usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1");
	expect_file(&d, "/usr/lib/aarch64-linux-gnu/libc.so.6");
	assert_int_equal(d.nr, 6);	/* each once, though libc needs the loader again */
	elfdeps__free(&d);
}

static void test_resolve_static_and_applet(void **state)
{
	struct elfdeps d;

	resolve_ok(&d, "/usr/bin/static", NULL);
	assert_string_equal(d.program, "/usr/bin/static");
	assert_int_equal(d.nr, 1);
	expect_file(&d, "/usr/bin/static");
	elfdeps__free(&d);

	/* a busybox applet keeps its name: the link and its target are packed */
	resolve_ok(&d, "ls", "/usr/bin");
	assert_string_equal(d.program, "/usr/bin/ls");
	expect_link(&d, "/usr/bin/ls", "busybox");
	expect_file(&d, "/usr/bin/busybox");
	assert_int_equal(d.nr, 2);
	elfdeps__free(&d);

	resolve_ok(&d, "abs-ls", "/bin");
	expect_link(&d, "/bin", "usr/bin");
	expect_link(&d, "/usr/bin/abs-ls", "/usr/bin/ls");
	expect_link(&d, "/usr/bin/ls", "busybox");
	expect_file(&d, "/usr/bin/busybox");
	elfdeps__free(&d);

	/* a script brings its interpreter */
	resolve_ok(&d, "/job/script", NULL);
	expect_file(&d, "/job/script");
	expect_file(&d, "/usr/bin/busybox");
	elfdeps__free(&d);
}

static void test_resolve_runpath_and_conf(void **state)
{
	struct elfdeps d;

	/* DT_RUNPATH $ORIGIN/../opt from /usr/bin */
	resolve_ok(&d, "/usr/bin/runpath", NULL);
	expect_file(&d, "/usr/opt/libextra.so.1");
	expect_file(&d, "/usr/lib/aarch64-linux-gnu/libc.so.6");
	elfdeps__free(&d);
	/* a directory from ld.so.conf.d, through ld.so.conf's include */
	resolve_ok(&d, "/usr/bin/needs-conf", NULL);
	expect_file(&d, "/srv/conf/libconf.so.1");
	elfdeps__free(&d);
}

static void test_resolve_through_cache(void **state)
{
	static const int flags[] = { 0x0a03 };
	static const char *const kv[] = { "libconf.so.1", "/usr/opt/libconf.so.1" };
	char path[160];
	uint8_t cache[256];
	struct elfdeps d;
	size_t len = build_cache(cache, sizeof(cache), flags, kv, 1);
	FILE *f;

	run("cp %s/libconf.so.1 %s/usr/opt/", tmp, root);
	snprintf(path, sizeof(path), "%s/etc/ld.so.cache", root);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(cache, 1, len, f), len);
	fclose(f);
	/* the cache comes before the ld.so.conf directories */
	resolve_ok(&d, "/usr/bin/needs-conf", NULL);
	expect_file(&d, "/usr/opt/libconf.so.1");
	assert_int_equal(unlink(path), 0);
	elfdeps__free(&d);
}

static void expect_fail(const char *program, const char *path_env, int want, const char *msg)
{
	char err[256] = "";
	struct elfdeps d;
	int ret = elfdeps__resolve(&d, root, program, path_env, err, sizeof(err));

	elfdeps__free(&d);
	if (ret != want)
		fail_msg("%s: %d (%s), want %d", program, ret, err, want);
	if (!strstr(err, msg))
		fail_msg("%s: message '%s' lacks '%s'", program, err, msg);
	assert_null(strchr(err, '\n'));
	/* as vmm exec will exit: 127 not found, 126 cannot run, 125 the rest */
	assert_int_equal(elfdeps__exit_status(ret),
			 want == -ENOENT ? 127 : want == -EACCES || want == -ENOEXEC ? 126 : 125);
}

static void test_resolve_errors(void **state)
{
	expect_fail("nosuch", "/bin:/usr/bin", -ENOENT, "nosuch: not found on PATH");
	expect_fail("/job/nosuch", NULL, -ENOENT, "/job/nosuch: No such file");
	expect_fail("noexec", "/job", -EACCES, "noexec: permission denied");
	expect_fail("/job/noexec", NULL, -EACCES, "Permission denied");
	expect_fail("/job", NULL, -EACCES, "/job");
	expect_fail("/job/text", NULL, -ENOEXEC, "not an ELF");
	expect_fail("/job/x86", NULL, -ENOEXEC, "not aarch64");
	expect_fail("/job/loop1", NULL, -ELOOP, "symbolic links");
	/* a missing library is named, with what needs it */
	run("rm %s/usr/opt/libextra.so.1", root);
	expect_fail("/usr/bin/runpath", NULL, -ENOENT,
		    "libextra.so.1 (needed by /usr/bin/runpath): not found");
	run("cp %s/libextra.so.1 %s/usr/opt/", tmp, root);
	/* a missing loader is named */
	run("mv %s/usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1 %s/ld", root, tmp);
	expect_fail("/usr/bin/dyn", NULL, -ENOENT, "/lib/ld-linux-aarch64.so.1 (needed by /usr/bin/dyn)");
	run("mv %s/ld %s/usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1", tmp, root);
}

/*
 * Packed into an initramfs and unpacked with cpio -idm, the tree resolves
 * the same way: every link and file the program needs is in it.
 */
static void test_pack_round_trip(void **state)
{
	char err[256] = "", unpacked[128], cmd[256];
	struct elfdeps d, again;
	struct cpio c;
	size_t i;
	FILE *f;

	resolve_ok(&d, "/bin/runpath", NULL);
	cpio__init(&c, 64 << 20);
	if (elfdeps__pack(&d, &c, err, sizeof(err)) || cpio__finish(&c, err, sizeof(err)))
		fail_msg("%s", err);
	snprintf(unpacked, sizeof(unpacked), "%s/unpacked", tmp);
	run("mkdir %s", unpacked);
	snprintf(cmd, sizeof(cmd), "cd %s && cpio -idm --quiet", unpacked);
	f = popen(cmd, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(c.buf, 1, c.len, f), c.len);
	assert_int_equal(pclose(f), 0);
	if (elfdeps__resolve(&again, unpacked, "/bin/runpath", NULL, err, sizeof(err)))
		fail_msg("unpacked: %s", err);
	assert_int_equal(again.nr, d.nr);
	for (i = 0; i < d.nr; i++) {
		assert_string_equal(again.entries[i].path, d.entries[i].path);
		if (d.entries[i].link)
			assert_string_equal(again.entries[i].link, d.entries[i].link);
	}
	elfdeps__free(&again);
	elfdeps__free(&d);
	cpio__free(&c);
}

/* The cross libraries as installed on this machine, as a root of their own. */
static void test_cross_sysroot(void **state)
{
	char err[256] = "";
	struct elfdeps d;

	/* libc.so.6 is itself runnable: it has a PT_INTERP */
	if (elfdeps__resolve(&d, "/usr/aarch64-linux-gnu/", "/lib/libc.so.6", NULL, err, sizeof(err)))
		fail_msg("%s", err);
	expect_file(&d, "/lib/libc.so.6");
	expect_file(&d, "/lib/ld-linux-aarch64.so.1");
	assert_int_equal(d.nr, 2);
	elfdeps__free(&d);
}

static int setup(void **state)
{
	snprintf(tmp, sizeof(tmp), "/tmp/test_elfdeps.XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	run("set -e; cd %s; CC=aarch64-linux-gnu-gcc;"
	    "echo 'int main(void){return 42;}' > main.c;"
	    "echo 'int extra(void){return 1;}' > lib.c;"
	    "echo 'int extra(void); int main(void){return extra();}' > use.c;"
	    "$CC -O1 -static -o static main.c; $CC -O1 -static-pie -o static-pie main.c;"
	    "$CC -O1 -o dyn main.c;"
	    "$CC -O1 -shared -fPIC -Wl,-soname,libextra.so.1 -o libextra.so.1 lib.c;"
	    "$CC -O1 -shared -fPIC -Wl,-soname,libconf.so.1 -o libconf.so.1 lib.c;"
	    "$CC -O1 -o runpath use.c ./libextra.so.1 -Wl,--enable-new-dtags,-rpath,'$ORIGIN/../opt';"
	    "$CC -O1 -o needs-conf use.c ./libconf.so.1", tmp);
	make_root();
	return 0;
}

static int teardown(void **state)
{
	run("rm -rf %s", tmp);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_static_has_no_deps),
		cmocka_unit_test(test_dynamic_needs_loader_and_libc),
		cmocka_unit_test(test_refuses_other_machines),
		cmocka_unit_test(test_handmade_elf),
		cmocka_unit_test(test_hostile_fields),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_ldcache),
		cmocka_unit_test(test_resolve_dynamic),
		cmocka_unit_test(test_resolve_static_and_applet),
		cmocka_unit_test(test_resolve_runpath_and_conf),
		cmocka_unit_test(test_resolve_through_cache),
		cmocka_unit_test(test_resolve_errors),
		cmocka_unit_test(test_pack_round_trip),
		cmocka_unit_test(test_cross_sysroot),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
