/*
 * Unit tests of vmm exec's job file (vmm/exec-job.c) and exit doorbell
 * status (vmm/exec-status.c): round trips, a job written byte by byte from
 * the documented format, hostile job files (each truncation, bad lengths,
 * unknown or repeated records), and the doorbell's key rule.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "vmm/exec-job.h"
#include "vmm/exec-status.h"

static char *argv_in[] = { "prog", "", "with space", "\x01\x7f\xff bytes", NULL };
static char *envp_in[] = { "PATH=/bin", "EMPTY=", "A==b", NULL };

static struct exec_job sample(void)
{
	struct exec_job j = {
		.program = "/usr/bin/prog", .argv = argv_in, .argc = 4, .envp = envp_in, .envc = 3,
		.cwd = "/job", .stdin_path = "/vmm-exec/stdin", .stdout_path = "/dev/ttyAMA1",
		.stderr_path = "/dev/ttyAMA2", .exit_addr = 0x9030000, .exit_key = 0x1122334455667788ULL,
	};
	return j;
}

/* Decodes from an exact-size heap copy, so ASan sees any read past the end. */
static int decode_copy(const uint8_t *p, size_t len, struct exec_job *j, char *err, size_t errlen)
{
	uint8_t *copy = malloc(len ? len : 1);
	int ret;

	assert_non_null(copy);
	memcpy(copy, p, len);
	ret = exec_job__decode(copy, len, j, err, errlen);
	free(copy);
	return ret;
}

static void test_round_trip(void **state)
{
	struct exec_job in = sample(), out;
	char err[160];
	uint8_t *buf;
	size_t len, i;

	assert_int_equal(exec_job__encode(&in, &buf, &len, err, sizeof(err)), 0);
	assert_int_equal(decode_copy(buf, len, &out, err, sizeof(err)), 0);
	assert_string_equal(out.program, in.program);
	assert_int_equal(out.argc, in.argc);
	for (i = 0; i < in.argc; i++)
		assert_string_equal(out.argv[i], in.argv[i]);
	assert_null(out.argv[out.argc]);
	assert_int_equal(out.envc, in.envc);
	for (i = 0; i < in.envc; i++)
		assert_string_equal(out.envp[i], in.envp[i]);
	assert_null(out.envp[out.envc]);
	assert_string_equal(out.cwd, "/job");
	assert_string_equal(out.stdin_path, "/vmm-exec/stdin");
	assert_string_equal(out.stdout_path, "/dev/ttyAMA1");
	assert_string_equal(out.stderr_path, "/dev/ttyAMA2");
	assert_int_equal(out.exit_addr, 0x9030000);
	assert_int_equal(out.exit_key, 0x1122334455667788ULL);
	exec_job__free(&out);

	/* optional fields stay absent; no environment at all gives an empty one */
	in.stdin_path = in.stdout_path = in.stderr_path = NULL;
	in.envc = 0;
	free(buf);
	assert_int_equal(exec_job__encode(&in, &buf, &len, err, sizeof(err)), 0);
	assert_int_equal(decode_copy(buf, len, &out, err, sizeof(err)), 0);
	assert_null(out.stdin_path);
	assert_null(out.stdout_path);
	assert_null(out.stderr_path);
	assert_int_equal(out.envc, 0);
	exec_job__free(&out);
	free(buf);
}

/* A job written out by hand from the format in exec-job.h. */
static void test_decode_by_hand(void **state)
{
	static const uint8_t job[] =
		"VMMJOB01"
		"\x01\0\0\0" "\x05\0\0\0" "/bin/"
		"\x02\0\0\0" "\x01\0\0\0" "a"
		"\x02\0\0\0" "\0\0\0\0"
		"\x04\0\0\0" "\x01\0\0\0" "/"
		"\x03\0\0\0" "\x03\0\0\0" "X=1"
		"\x08\0\0\0" "\x08\0\0\0" "\x00\x00\x03\x09\0\0\0\0"
		"\x09\0\0\0" "\x08\0\0\0" "\x01\x02\x03\x04\x05\x06\x07\x08";
	struct exec_job j;
	char err[160];

	assert_int_equal(decode_copy(job, sizeof(job) - 1, &j, err, sizeof(err)), 0);
	assert_string_equal(j.program, "/bin/");
	assert_int_equal(j.argc, 2);
	assert_string_equal(j.argv[0], "a");
	assert_string_equal(j.argv[1], "");
	assert_string_equal(j.envp[0], "X=1");
	assert_string_equal(j.cwd, "/");
	assert_int_equal(j.exit_addr, 0x09030000);
	assert_int_equal(j.exit_key, 0x0807060504030201ULL);
	exec_job__free(&j);
}

static void expect_encode_fails(struct exec_job j, const char *msg)
{
	char err[160] = "";
	uint8_t *buf;
	size_t len;

	assert_int_equal(exec_job__encode(&j, &buf, &len, err, sizeof(err)), -EINVAL);
	if (!strstr(err, msg))
		fail_msg("message '%s' lacks '%s'", err, msg);
}

static void test_encode_refuses(void **state)
{
	static char *bad_env[] = { "NOEQUALS", NULL };
	struct exec_job j = sample();

	j.program = "prog";
	expect_encode_fails(j, "absolute");
	j = sample();
	j.argc = 0;
	expect_encode_fails(j, "argv[0]");
	j = sample();
	j.cwd = "job";
	expect_encode_fails(j, "working directory");
	j = sample();
	j.envp = bad_env;
	j.envc = 1;
	expect_encode_fails(j, "NAME=VALUE");
	j = sample();
	j.exit_key = 0;
	expect_encode_fails(j, "key");
}

static void expect_decode_fails(const uint8_t *p, size_t len, const char *msg)
{
	struct exec_job j;
	char err[160] = "";

	assert_int_equal(decode_copy(p, len, &j, err, sizeof(err)), -EINVAL);
	if (!strstr(err, msg))
		fail_msg("message '%s' lacks '%s'", err, msg);
	assert_null(strchr(err, '\n'));
}

static void test_decode_hostile(void **state)
{
	struct exec_job in = sample(), j;
	uint8_t *buf, *p;
	char err[160];
	size_t len, cut;

	assert_int_equal(exec_job__encode(&in, &buf, &len, err, sizeof(err)), 0);
	/* every proper prefix is refused (the key record comes last) */
	for (cut = 0; cut < len; cut++)
		assert_int_equal(decode_copy(buf, cut, &j, err, sizeof(err)), -EINVAL);
	p = malloc(len + 32);
	assert_non_null(p);

	memcpy(p, buf, len);
	p[0] = 'X';
	expect_decode_fails(p, len, "magic");

	memcpy(p, buf, len);
	p[12] = 0xff, p[13] = 0xff, p[14] = 0xff, p[15] = 0xff;	/* PROGRAM's length */
	expect_decode_fails(p, len, "runs past the end");

	memcpy(p, buf, len);
	p[16 + 3] = 0;						/* a NUL inside PROGRAM */
	expect_decode_fails(p, len, "NUL");

	memcpy(p, buf, len);
	memcpy(p + len, "\x63\0\0\0\0\0\0\0", 8);		/* tag 99 */
	expect_decode_fails(p, len + 8, "unknown record 99");

	memcpy(p, buf, len);
	memcpy(p + len, "\x01\0\0\0\x02\0\0\0/x", 10);		/* PROGRAM again */
	expect_decode_fails(p, len + 10, "twice");

	memcpy(p, buf, len);
	memcpy(p + len, "\x09\0\0\0\x01\0\0\0z", 9);		/* EXIT_KEY again, 1 byte */
	expect_decode_fails(p, len + 9, "not 8 bytes");

	memcpy(p, buf, len);
	memcpy(p + len, "\x02\0\0", 3);				/* half a record header */
	expect_decode_fails(p, len + 3, "truncated record header");
	free(p);
	free(buf);
}

static void expect_status(uint64_t word, int rc, const char *msg)
{
	char m[160];

	assert_int_equal(exec_status__decode(word, m, sizeof(m)), rc);
	if (!strstr(m, msg))
		fail_msg("0x%llx: message '%s' lacks '%s'", (unsigned long long)word, m, msg);
}

static void test_status_words(void **state)
{
	/* the word's layout, written out: magic "VMMX" << 32, kind << 16, value */
	assert_int_equal(exec_status__encode(EXEC_EXITED, 42, 0), 0x564d4d580001002aULL);
	assert_int_equal(exec_status__encode(EXEC_INIT_FAILED, ENOENT, INIT_STEP_JOB),
			 0x564d4d5801040002ULL);
	expect_status(exec_status__encode(EXEC_EXITED, 0, 0), 0, "");
	expect_status(exec_status__encode(EXEC_EXITED, 42, 0), 42, "");
	expect_status(exec_status__encode(EXEC_EXITED, 255, 0), 255, "");
	expect_status(exec_status__encode(EXEC_SIGNALED, SIGKILL, 0), 137, "signal 9");
	expect_status(exec_status__encode(EXEC_SIGNALED, SIGSEGV, 0), 139, "signal 11");
	expect_status(exec_status__encode(EXEC_EXEC_FAILED, ENOENT, 0), 127, "No such file");
	expect_status(exec_status__encode(EXEC_EXEC_FAILED, EACCES, 0), 126, "Permission denied");
	expect_status(exec_status__encode(EXEC_EXEC_FAILED, ENOEXEC, 0), 126, "Exec format");
	expect_status(exec_status__encode(EXEC_INIT_FAILED, ENODEV, INIT_STEP_MOUNT), 125, "mounting");
	expect_status(exec_status__encode(EXEC_EXITED, 256, 0), 125, "malformed");
	expect_status(exec_status__encode(EXEC_SIGNALED, 0, 0), 125, "malformed");
	expect_status(0x0001002aULL, 125, "malformed");			/* no magic */
	expect_status(exec_status__encode(7, 1, 0), 125, "malformed");	/* unknown kind */
}

static void test_doorbell_key(void **state)
{
	struct exec_doorbell db;
	uint64_t word;

	exec_doorbell__init(&db, 0xfeed);
	assert_false(exec_doorbell__status(&db, &word));
	exec_doorbell__write(&db, EXEC_DOORBELL_STATUS, 1);	/* no key */
	exec_doorbell__write(&db, EXEC_DOORBELL_KEY, 0xbad);
	exec_doorbell__write(&db, EXEC_DOORBELL_STATUS, 2);	/* wrong key */
	exec_doorbell__write(&db, EXEC_DOORBELL_KEY, 0xfeed);
	exec_doorbell__write(&db, 0x10, 3);			/* no such register */
	assert_false(exec_doorbell__status(&db, &word));
	exec_doorbell__write(&db, EXEC_DOORBELL_STATUS, 4);
	assert_true(exec_doorbell__status(&db, &word));
	assert_int_equal(word, 4);
	/* the first accepted status stays, even with the key again */
	exec_doorbell__write(&db, EXEC_DOORBELL_KEY, 0xfeed);
	exec_doorbell__write(&db, EXEC_DOORBELL_STATUS, 5);
	assert_true(exec_doorbell__status(&db, &word));
	assert_int_equal(word, 4);
	assert_int_equal(db.ignored, 5);	/* 1, bad key, 2, 0x10, 5 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_decode_by_hand),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_decode_hostile),
		cmocka_unit_test(test_status_words),
		cmocka_unit_test(test_doorbell_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
