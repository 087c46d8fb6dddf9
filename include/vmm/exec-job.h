#ifndef VMM_EXEC_JOB_H
#define VMM_EXEC_JOB_H

/*
 * The job of vmm exec's guest init, written by vmm into the initramfs as
 * /vmm-exec/job and read by exec/init.c (docs/exec-design.md).
 *
 * Format: the 8 bytes "VMMJOB01", then records until the end of the file,
 * each a 32-bit little-endian tag, a 32-bit little-endian length and that
 * many bytes. Strings are stored without a NUL and may not contain one.
 * Tags (a record appears once unless "each"):
 *   1 PROGRAM   the absolute path execve() gets
 *   2 ARG       each argument, argv[0] first (at least one)
 *   3 ENV       each NAME=VALUE of the environment, in order
 *   4 CWD       the working directory (created if missing)
 *   5 STDIN     the file opened as stdin (absent: /dev/null)
 *   6 STDOUT    the device opened as stdout (absent: /dev/console)
 *   7 STDERR    the device opened as stderr (absent: the stdout one)
 *   8 EXIT_ADDR the guest-physical address of the exit doorbell, 8 bytes
 *   9 EXIT_KEY  the doorbell's key, 8 bytes
 * An unknown tag makes the job invalid: a new field means a new version.
 */
#include <stddef.h>
#include <stdint.h>

#include "vmm/compiler.h"

#define EXEC_JOB_PATH		"/vmm-exec/job"
#define EXEC_JOB_MAGIC		"VMMJOB01"
#define EXEC_JOB_MAX		(8u << 20)	/* bytes of a job file */
#define EXEC_JOB_STRINGS_MAX	65536		/* ARG or ENV records */

enum exec_job_tag {
	JOB_PROGRAM = 1, JOB_ARG, JOB_ENV, JOB_CWD, JOB_STDIN, JOB_STDOUT, JOB_STDERR,
	JOB_EXIT_ADDR, JOB_EXIT_KEY,
};

struct exec_job {
	char *program;
	char **argv;		/* argc strings, then NULL */
	size_t argc;
	char **envp;		/* envc strings, then NULL */
	size_t envc;
	char *cwd;
	char *stdin_path, *stdout_path, *stderr_path;	/* or NULL */
	uint64_t exit_addr, exit_key;
};

/*
 * Encodes a job (program, argv[0], cwd, exit_addr and exit_key required)
 * into a new buffer. Returns 0, -EINVAL with a reason, or -ENOMEM.
 */
int exec_job__encode(const struct exec_job *job, uint8_t **out, size_t *len,
		     char *err, size_t errlen) __must_check;
/* Decodes an untrusted job file. Returns 0, -EINVAL with a reason, or -ENOMEM. */
int exec_job__decode(const uint8_t *buf, size_t len, struct exec_job *job,
		     char *err, size_t errlen) __must_check;
void exec_job__free(struct exec_job *job);

#endif
