/*
 * vmm exec without KVM (vmm/exec-plan.c): its command line, the kernel it
 * picks, the initramfs it packs (unpacked here with cpio(1) and the job
 * decoded), and how a run's end becomes its exit status.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "vmm/commands.h"
#include "vmm/cpio.h"
#include "vmm/exec-job.h"
#include "vmm/exec-status.h"
#include "vmm/exec.h"
#include "vmm/util.h"

#define MAX_ARGS 32

static struct exec_request req;
static char err[1024];

static int parse(const char *line)
{
	static char buf[1024];
	static char *argv[MAX_ARGS + 1];
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *tok = strtok(buf, " "); tok && argc < MAX_ARGS; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	argv[argc] = NULL;
	err[0] = 0;
	return exec__parse(argc, argv, &req, err, sizeof(err));
}

static void test_parse(void **state)
{
	assert_int_equal(parse("exec -k K -m 512 -c 2 --sve-vls 128 -e A=1 -e B= -f x:y/z --timeout 10 "
			       "-- prog -x --y"), EXEC_PARSE_RUN);
	assert_string_equal(req.vm.kernel, "K");
	assert_int_equal(req.vm.ram_mib, 512);
	assert_int_equal(req.vm.nr_cpus, 2);
	assert_int_equal(req.nr_env, 2);
	assert_string_equal(req.env[0], "A=1");
	assert_string_equal(req.env[1], "B=");
	assert_int_equal(req.nr_files, 1);
	assert_string_equal(req.files[0], "x:y/z");
	assert_int_equal(req.timeout_s, 10);
	assert_false(req.each_vl);
	assert_string_equal(req.argv[0], "prog");
	assert_string_equal(req.argv[1], "-x");
	assert_string_equal(req.argv[2], "--y");
	assert_null(req.argv[3]);
	assert_string_equal(req.vm.cmdline, EXEC_CMDLINE);

	/* Options end at PROGRAM even without "--": its own options stay its own. */
	assert_int_equal(parse("exec --each-vl -j 3 ls -l --timeout 5"), EXEC_PARSE_RUN);
	assert_true(req.each_vl);
	assert_int_equal(req.jobs, 3);
	assert_int_equal(req.timeout_s, 0);
	assert_string_equal(req.argv[2], "--timeout");

	/* -e VAR takes vmm's own value, and is left out when vmm has none. */
	setenv("VMM_TEST_VAR", "v a", 1);
	unsetenv("VMM_TEST_UNSET");
	assert_int_equal(parse("exec -e VMM_TEST_VAR -e VMM_TEST_UNSET true"), EXEC_PARSE_RUN);
	assert_int_equal(req.nr_env, 1);
	assert_string_equal(req.env[0], "VMM_TEST_VAR=v a");
	free(req.env[0]);

	assert_int_equal(parse("exec --help"), EXEC_PARSE_HELP);
}

static void test_parse_errors(void **state)
{
	static const struct { const char *line, *err; } bad[] = {
		{ "exec", "exec: no PROGRAM given" },
		{ "exec -k K", "exec: no PROGRAM given" },
		{ "exec --timeout 0 true", "exec: --timeout 0: expected a number from 1" },
		{ "exec --timeout x true", "exec: --timeout x: expected a number" },
		{ "exec -j 2 true", "exec: --jobs runs several lengths at a time: give it with --each-vl" },
		{ "exec --each-vl -j 0 true", "exec: --jobs 0: expected a number from 1 to 64" },
		{ "exec --each-vl --sve-vls 128 true", "--each-vl chooses the SVE lengths" },
		{ "exec --sve-max-vl 256 --each-vl true", "--each-vl chooses the SVE lengths" },
		{ "exec -e =x true", "exec: -e '=x': expected VAR=VALUE" },
		{ "exec -f :x true", "exec: -f ':x': expected PATH[:GUESTPATH]" },
		{ "exec -m 1 true", "exec: --mem 1: expected a number from 16" },
		{ "exec --frob true", "exec: unknown option '--frob'" },
		{ "exec -i initrd true", "exec: unknown option '-i'" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int ret = parse(bad[i].line);

		if (ret != -VMM_ERR_INPUT || strncmp(err, bad[i].err, strlen(bad[i].err)))
			fail_msg("'%s': %d '%s', want '%s'", bad[i].line, ret, err, bad[i].err);
	}
}

static void test_choose_kernel(void **state)
{
	char path[256];

	assert_int_equal(parse("exec true"), EXEC_PARSE_RUN);
	/* $VMM_KERNEL before the host's */
	assert_int_equal(exec__choose_kernel(&req, "Makefile", "6.1.0-x", path, sizeof(path),
					     err, sizeof(err)), 0);
	assert_string_equal(path, "Makefile");
	/* the host's, named in the error when it is missing */
	assert_int_equal(exec__choose_kernel(&req, "", "0.0-no-such", path, sizeof(path),
					     err, sizeof(err)), -1);
	assert_string_equal(path, "/boot/vmlinuz-0.0-no-such");
	assert_non_null(strstr(err, "kernel /boot/vmlinuz-0.0-no-such (the host's): No such file"));
	/* -k first */
	assert_int_equal(parse("exec -k /nonexistent/Image true"), EXEC_PARSE_RUN);
	assert_int_equal(exec__choose_kernel(&req, "Makefile", "r", path, sizeof(path),
					     err, sizeof(err)), -1);
	assert_string_equal(err, "exec: kernel /nonexistent/Image (-k): No such file or directory; "
			    "give one with -k or $VMM_KERNEL");
}

/* ---- the initramfs: a static aarch64 program in a fake root, unpacked with cpio ---- */

static char tmp[64];
static const uint8_t fake_init[] = "not really an init";

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

static int build(const char *line, const char *stdin_data, struct cpio *c)
{
	char root[128];
	struct exec_pack in = {
		.init = fake_init, .init_len = sizeof(fake_init) - 1, .sysroot = root,
		.path_env = "/nonexistent:/bin",
		.stdin_data = (const uint8_t *)stdin_data,
		.stdin_len = stdin_data ? strlen(stdin_data) : 0,
		.doorbell = 0x09030000, .key = 0x1122334455667788ULL,
	};

	snprintf(root, sizeof(root), "%s/root", tmp);
	assert_int_equal(parse(line), EXEC_PARSE_RUN);
	cpio__init(c, 256u << 20);
	err[0] = 0;
	return exec__build_initramfs(&req, &in, c, err, sizeof(err));
}

/* Unpacks c into tmp/out (made anew). */
static void unpack(const struct cpio *c)
{
	char cmd[256];
	FILE *p;

	run("rm -rf %s/out && mkdir %s/out", tmp, tmp);
	snprintf(cmd, sizeof(cmd), "cd %s/out && cpio -id --quiet", tmp);
	p = popen(cmd, "w");
	assert_non_null(p);
	assert_int_equal(fwrite(c->buf, 1, c->len, p), c->len);
	assert_int_equal(pclose(p), 0);
}

static void read_job(struct exec_job *job)
{
	char path[256], why[256];
	uint8_t *buf;
	size_t len;

	snprintf(path, sizeof(path), "%s/out%s", tmp, EXEC_JOB_PATH);
	assert_int_equal(read_file(path, EXEC_JOB_MAX, &buf, &len), 0);
	if (exec_job__decode(buf, len, job, why, sizeof(why)))
		fail_msg("job: %s", why);
	free(buf);
}

/* tmp/out/NAME holds want (any content when want is NULL). */
static void assert_file(const char *name, const char *want)
{
	char path[512];
	uint8_t *buf;
	size_t len;

	snprintf(path, sizeof(path), "%s/out/%s", tmp, name);
	if (read_file(path, 1 << 22, &buf, &len))
		fail_msg("%s: not in the initramfs", name);
	if (want && (len != strlen(want) || memcmp(buf, want, len)))
		fail_msg("%s: '%.*s', want '%s'", name, (int)len, buf, want);
	free(buf);
}

static void test_initramfs(void **state)
{
	char line[1024], path[256], target[64];
	struct exec_job job = { 0 };
	struct cpio c;
	ssize_t n;

	snprintf(line, sizeof(line), "exec -e X=1 -e Y=2 -f %s/files/a.txt -f %s/files/sub:d "
		 "-f %s/files/a.txt:/etc/abs -- prog arg1 'two'", tmp, tmp, tmp);
	assert_int_equal(build(line, "stdin bytes", &c), 0);
	unpack(&c);
	cpio__free(&c);
	assert_file("init", (const char *)fake_init);
	assert_file("bin/prog", NULL);
	assert_file("job/a.txt", "A");
	assert_file("job/d/b.txt", "B");
	assert_file("etc/abs", "A");
	assert_file("vmm-exec/stdin", "stdin bytes");
	snprintf(path, sizeof(path), "%s/out/job/d/link", tmp);
	n = readlink(path, target, sizeof(target) - 1);
	assert_int_equal(n, 5);
	target[n] = 0;
	assert_string_equal(target, "b.txt");	/* a link inside a directory stays a link */

	read_job(&job);
	assert_string_equal(job.program, "/bin/prog");
	assert_int_equal(job.argc, 3);
	assert_string_equal(job.argv[0], "prog");	/* as it was called */
	assert_string_equal(job.argv[2], "'two'");
	assert_int_equal(job.envc, 2);
	assert_string_equal(job.envp[1], "Y=2");
	assert_string_equal(job.cwd, "/job");
	assert_string_equal(job.stdin_path, EXEC_STDIN_PATH);
	assert_string_equal(job.stdout_path, "/dev/ttyAMA1");
	assert_string_equal(job.stderr_path, "/dev/ttyAMA2");
	assert_int_equal(job.exit_addr, 0x09030000);
	assert_int_equal(job.exit_key, 0x1122334455667788ULL);
	exec_job__free(&job);

	/* no stdin: none packed, none in the job (the init gives /dev/null) */
	assert_int_equal(build("exec prog", NULL, &c), 0);
	unpack(&c);
	cpio__free(&c);
	read_job(&job);
	assert_null(job.stdin_path);
	exec_job__free(&job);
	snprintf(path, sizeof(path), "%s/out/vmm-exec/stdin", tmp);
	assert_int_equal(access(path, F_OK), -1);
}

/* Each failure before any VM: its status and one line naming the culprit. */
static void test_initramfs_errors(void **state)
{
	static const struct { const char *line; int status; const char *err; } bad[] = {
		{ "exec no-such-program", EXEC_RC_NOT_FOUND, "no-such-program" },
		{ "exec /bin/dyn", EXEC_RC_NOT_FOUND, "libmissing.so.1" },
		{ "exec /bin/text", EXEC_RC_CANNOT_EXEC, "/bin/text" },
		{ "exec -f /nonexistent/file prog", EXEC_RC_VMM, "exec: -f /nonexistent/file: No such file" },
		{ "exec -f TMP/files/a.txt -f TMP/files/a.txt prog", EXEC_RC_VMM, "job/a.txt" },
	};
	char line[512];
	struct cpio c;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *t = strstr(bad[i].line, "TMP");
		int ret;

		snprintf(line, sizeof(line), "%s", bad[i].line);
		while (t) {	/* TMP -> the temporary directory */
			char rest[512];
			char *at = strstr(line, "TMP");

			snprintf(rest, sizeof(rest), "%s", at + 3);
			snprintf(at, sizeof(line) - (size_t)(at - line), "%s%s", tmp, rest);
			t = strstr(line, "TMP");
		}
		ret = build(line, NULL, &c);
		cpio__free(&c);
		if (ret != bad[i].status || !strstr(err, bad[i].err))
			fail_msg("'%s': %d '%s', want %d '%s'", line, ret, err, bad[i].status, bad[i].err);
		if (strchr(err, '\n'))
			fail_msg("'%s': more than one line: '%s'", line, err);
	}
}

static int setup(void **state)
{
	snprintf(tmp, sizeof(tmp), "/tmp/test_exec.XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	run("set -e; cd %s; mkdir -p root/bin root/lib/aarch64-linux-gnu files/sub;"
	    "cp /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 root/lib/;"
	    "cp /usr/aarch64-linux-gnu/lib/libc.so.6 root/lib/aarch64-linux-gnu/;"
	    "echo 'int main(void){return 0;}' > main.c;"
	    "echo 'int f(void); int main(void){return f();}' > dyn.c;"
	    "echo 'int f(void){return 1;}' > lib.c;"
	    "aarch64-linux-gnu-gcc -O1 -static -o root/bin/prog main.c;"
	    "aarch64-linux-gnu-gcc -O1 -shared -fPIC -Wl,-soname,libmissing.so.1 -o libmissing.so.1 lib.c;"
	    "aarch64-linux-gnu-gcc -O1 -o root/bin/dyn dyn.c ./libmissing.so.1;"
	    "echo text > root/bin/text; chmod +x root/bin/text;"
	    "printf A > files/a.txt; printf B > files/sub/b.txt; ln -s b.txt files/sub/link", tmp);
	return 0;
}

static int teardown(void **state)
{
	run("rm -rf %s", tmp);
	return 0;
}

static void test_outcome(void **state)
{
	struct exec_result r = { 0 };
	char msg[512];

	assert_int_equal(parse("exec --timeout 7 true"), EXEC_PARSE_RUN);
	/* the doorbell's word decides, even when the VM ended otherwise */
	r.have_word = true;
	r.word = exec_status__encode(EXEC_EXITED, 42, 0);
	assert_int_equal(exec__outcome(&req, &r, msg, sizeof(msg)), 42);
	assert_string_equal(msg, "");
	r.word = exec_status__encode(EXEC_SIGNALED, 9, 0);
	assert_int_equal(exec__outcome(&req, &r, msg, sizeof(msg)), 137);
	r.word = exec_status__encode(EXEC_EXEC_FAILED, ENOENT, 0);
	assert_int_equal(exec__outcome(&req, &r, msg, sizeof(msg)), 127);
	r.word = exec_status__encode(EXEC_EXEC_FAILED, EACCES, 0);
	assert_int_equal(exec__outcome(&req, &r, msg, sizeof(msg)), 126);
	r.word = 42;	/* no magic */
	assert_int_equal(exec__outcome(&req, &r, msg, sizeof(msg)), 125);
	/* no word */
	r = (struct exec_result){ .run_status = 124, .timed_out = true };
	assert_int_equal(exec__outcome(&req, &r, msg, sizeof(msg)), 124);
	assert_string_equal(msg, "the timeout of 7 s passed");
	r = (struct exec_result){ .run_status = 4, .last_console_line = "Kernel panic - not syncing: x" };
	assert_int_equal(exec__outcome(&req, &r, msg, sizeof(msg)), 125);
	assert_non_null(strstr(msg, "panicked"));
	assert_non_null(strstr(msg, "'Kernel panic - not syncing: x'"));
	r = (struct exec_result){ .run_status = 0 };
	assert_int_equal(exec__outcome(&req, &r, msg, sizeof(msg)), 125);
	assert_string_equal(msg, "the guest powered off without an exit status");
	r = (struct exec_result){ .run_status = 5 };
	assert_int_equal(exec__outcome(&req, &r, msg, sizeof(msg)), 125);
	r = (struct exec_result){ .run_status = 2 };	/* vmm run said why */
	assert_int_equal(exec__outcome(&req, &r, msg, sizeof(msg)), 125);
	assert_string_equal(msg, "");
	r = (struct exec_result){ .run_status = 130 };
	assert_int_equal(exec__outcome(&req, &r, msg, sizeof(msg)), 130);
	/* a status 124 of the VM without the deadline passing is not a timeout */
	r = (struct exec_result){ .run_status = 124 };
	assert_int_equal(exec__outcome(&req, &r, msg, sizeof(msg)), 125);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_choose_kernel),
		cmocka_unit_test_setup_teardown(test_initramfs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_initramfs_errors, setup, teardown),
		cmocka_unit_test(test_outcome),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
