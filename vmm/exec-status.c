/*
 * The status word of vmm exec's exit doorbell: encoded by the guest's init
 * (exec/init.c), checked and decoded by vmm. Only libc: the init links it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm/exec-status.h"

uint64_t exec_status__encode(enum exec_status_kind kind, unsigned value, unsigned step)
{
	return EXEC_STATUS_MAGIC << 32 | (uint64_t)(step & 0xff) << 24 |
	       (uint64_t)(kind & 0xff) << 16 | (value & 0xffff);
}

static const char *step_name(unsigned step)
{
	static const char *const names[] = {
		[INIT_STEP_JOB] = "reading the job", [INIT_STEP_MOUNT] = "mounting /proc, /sys, /dev",
		[INIT_STEP_STDIO] = "opening stdin/stdout/stderr", [INIT_STEP_CWD] = "entering the working directory",
		[INIT_STEP_FORK] = "fork", [INIT_STEP_WAIT] = "waiting for the program",
	};

	return step < sizeof(names) / sizeof(names[0]) && names[step] ? names[step] : "an unknown step";
}

int exec_status__decode(uint64_t word, char *msg, size_t msglen)
{
	unsigned kind = (word >> 16) & 0xff, value = word & 0xffff, step = (word >> 24) & 0xff;

	if (msg && msglen)
		msg[0] = 0;
	if (word >> 32 != EXEC_STATUS_MAGIC)
		kind = 0;
	switch (kind) {
	case EXEC_EXITED:
		if (value <= 255 && !step)
			return (int)value;
		break;
	case EXEC_SIGNALED:
		if (value >= 1 && value <= 127 && !step) {
			snprintf(msg, msglen, "program killed by signal %u (%s)", value, strsignal((int)value));
			return 128 + (int)value;
		}
		break;
	case EXEC_EXEC_FAILED:
		if (step)
			break;
		snprintf(msg, msglen, "program cannot be run: %s", strerror((int)value));
		return value == ENOENT || value == ENOTDIR ? EXEC_RC_NOT_FOUND : EXEC_RC_CANNOT_EXEC;
	case EXEC_INIT_FAILED:
		snprintf(msg, msglen, "guest init failed %s: %s", step_name(step), strerror((int)value));
		return EXEC_RC_VMM;
	}
	snprintf(msg, msglen, "malformed exit status word 0x%016llx", (unsigned long long)word);
	return EXEC_RC_VMM;
}

void exec_doorbell__init(struct exec_doorbell *db, uint64_t key)
{
	memset(db, 0, sizeof(*db));
	db->key = key;
}

void exec_doorbell__write(struct exec_doorbell *db, uint64_t offset, uint64_t value)
{
	if (offset == EXEC_DOORBELL_KEY) {
		db->key_ok = value == db->key;
		if (!db->key_ok)
			db->ignored++;
		return;
	}
	if (offset == EXEC_DOORBELL_STATUS && db->key_ok && !db->done) {
		db->word = value;
		db->done = true;
		db->key_ok = false;
		return;
	}
	db->ignored++;
}

bool exec_doorbell__status(const struct exec_doorbell *db, uint64_t *word)
{
	if (db->done)
		*word = db->word;
	return db->done;
}
