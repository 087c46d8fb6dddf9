#ifndef VMM_EXEC_STATUS_H
#define VMM_EXEC_STATUS_H

/*
 * The exit doorbell of vmm exec (docs/exec-design.md): a 4 KiB MMIO page
 * at a guest-physical address the job names. The guest's init writes the
 * job's 64-bit key to KEY, then one status word to STATUS; vmm takes the
 * first STATUS write that follows a KEY write of the right key and ignores
 * every other write. A write to START only marks the time the program
 * starts, for vmm exec --debug.
 *
 * Status word: bits 63..32 the magic "VMMX" (0x564d4d58), bits 23..16
 * the kind, bits 15..0 the value (an exit code, a signal number or an
 * errno), bits 31..24 for INIT_FAILED the step that failed.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXEC_DOORBELL_SIZE	0x1000
#define EXEC_DOORBELL_KEY	0x00
#define EXEC_DOORBELL_STATUS	0x08
#define EXEC_DOORBELL_START	0x10	/* any write: the program starts now (timing only) */
#define EXEC_STATUS_MAGIC	0x564d4d58ULL

enum exec_status_kind {
	EXEC_EXITED = 1,	/* value: the exit code */
	EXEC_SIGNALED,		/* value: the signal */
	EXEC_EXEC_FAILED,	/* value: execve's errno */
	EXEC_INIT_FAILED,	/* value: errno; step: which */
};

enum exec_init_step {
	INIT_STEP_JOB = 1,	/* reading or decoding the job file */
	INIT_STEP_MOUNT,	/* /proc, /sys, /dev */
	INIT_STEP_STDIO,	/* opening stdin, stdout, stderr */
	INIT_STEP_CWD,		/* the working directory */
	INIT_STEP_FORK,
	INIT_STEP_WAIT,
};

/* vmm exec's own exit statuses (as timeout(1) and docker run). */
enum {
	EXEC_RC_TIMEOUT = 124, EXEC_RC_VMM = 125, EXEC_RC_CANNOT_EXEC = 126, EXEC_RC_NOT_FOUND = 127,
};

uint64_t exec_status__encode(enum exec_status_kind kind, unsigned value, unsigned step);

/*
 * The exit status vmm exec gives for a status word: the exit code, 128 +
 * the signal, 127 for ENOENT/ENOTDIR, 126 for other exec failures, 125 for
 * an init failure or a malformed word; msg gets a one-line reason (empty
 * when the program exited).
 */
int exec_status__decode(uint64_t word, char *msg, size_t msglen);

struct exec_doorbell {
	uint64_t key;		/* what the job file holds */
	bool key_ok;		/* the last KEY write was the key */
	bool done;
	uint64_t word;
	unsigned ignored;	/* writes refused: a wrong key, a second status */
};

void exec_doorbell__init(struct exec_doorbell *db, uint64_t key);
/* One guest write (the MMIO handler calls this under its lock). */
void exec_doorbell__write(struct exec_doorbell *db, uint64_t offset, uint64_t value);
/* The status word, if the init reported one. */
bool exec_doorbell__status(const struct exec_doorbell *db, uint64_t *word);

#endif
