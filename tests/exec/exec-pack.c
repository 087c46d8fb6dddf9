/*
 * A small native driver of vmm exec's building blocks, for the test bed's
 * exec-init test until vmm exec itself exists: it writes an initramfs with
 * the cpio builder, packs files as given or programs as resolved by
 * elfdeps, and adds a job file for the guest init.
 *
 *   exec-pack -o OUT [-r SYSROOT] [-f HOST:GUEST]... [-a PROGRAM]...
 *             [--job PROGRAM [--stdout DEV] [--stderr DEV] [--stdin HOSTFILE]
 *              [-e VAR=VALUE]... [--exit-addr ADDR] [--key-text TEXT] -- ARGS...]
 *
 * -f packs a host file at a guest path; -a resolves PROGRAM (and its
 * interpreter and libraries) under SYSROOT and packs it; --job writes
 * /vmm-exec/job to run the guest path PROGRAM with argv ARGS (argv[0]
 * first). The key is TEXT's bytes, little-endian, so that the test
 * doorbell (vmm run --testdev) prints it as "testdev: TEXT=STATUSWORD".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/cpio.h"
#include "vmm/elfdeps.h"
#include "vmm/exec-job.h"
#include "vmm/util.h"

static void __attribute__((noreturn)) die(const char *what)
{
	fprintf(stderr, "exec-pack: %s\n", what);
	exit(2);
}

static void check(int ret, const char *err)
{
	if (ret)
		die(err);
}

static void add_file_arg(struct cpio *c, char *arg, char *err, size_t errlen)
{
	char *colon = strchr(arg, ':');

	if (!colon)
		die("-f wants HOST:GUEST");
	*colon = 0;
	check(cpio__add_host_file(c, colon + 1, arg, err, errlen), err);
}

static void add_program(struct cpio *c, const char *sysroot, const char *prog, char *err, size_t errlen)
{
	struct elfdeps d;

	check(elfdeps__resolve(&d, sysroot, prog, NULL, err, errlen), err);
	check(elfdeps__pack(&d, c, err, errlen), err);
	elfdeps__free(&d);
}

static uint64_t key_of(const char *text)
{
	uint8_t b[8] = { 0 };

	strncpy((char *)b, text, 8);
	return get_le(b, 8);
}

int main(int argc, char **argv)
{
	static char *envs[256];
	struct exec_job job = { .cwd = "/job", .exit_addr = 0x09020000, .exit_key = key_of("vmmexit") };
	const char *out = NULL, *sysroot = "";
	char err[512];
	struct cpio c;
	uint8_t *buf;
	size_t len;
	FILE *f;
	int i;

	cpio__init(&c, 1u << 30);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--")) {
			job.argv = argv + i + 1;
			job.argc = (size_t)(argc - i - 1);
			break;
		}
		if (!v)
			die("an option lacks its value");
		i++;
		if (!strcmp(a, "-o"))
			out = v;
		else if (!strcmp(a, "-r"))
			sysroot = v;
		else if (!strcmp(a, "-f"))
			add_file_arg(&c, v, err, sizeof(err));
		else if (!strcmp(a, "-a"))
			add_program(&c, sysroot, v, err, sizeof(err));
		else if (!strcmp(a, "--job"))
			job.program = v;
		else if (!strcmp(a, "--stdout"))
			job.stdout_path = v;
		else if (!strcmp(a, "--stderr"))
			job.stderr_path = v;
		else if (!strcmp(a, "--stdin")) {
			job.stdin_path = "/vmm-exec/stdin";
			check(cpio__add_host_file(&c, job.stdin_path, v, err, sizeof(err)), err);
		} else if (!strcmp(a, "-e") && job.envc < 255)
			envs[job.envc++] = v;
		else if (!strcmp(a, "--exit-addr"))
			job.exit_addr = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--key-text"))
			job.exit_key = key_of(v);
		else
			die("unknown option");
	}
	if (!out)
		die("no -o OUT");
	job.envp = envs;
	if (job.program) {
		check(exec_job__encode(&job, &buf, &len, err, sizeof(err)), err);
		check(cpio__add_file(&c, EXEC_JOB_PATH, 0600, buf, len, err, sizeof(err)), err);
		free(buf);
	}
	check(cpio__finish(&c, err, sizeof(err)), err);
	f = fopen(out, "wb");
	if (!f || fwrite(c.buf, 1, c.len, f) != c.len || fclose(f))
		die(strerror(errno));
	cpio__free(&c);
	return 0;
}
