#ifndef VMM_MIGRATE_H
#define VMM_MIGRATE_H

/*
 * Live migration (docs/migration.md). The source side runs in the running
 * vmm, on a thread of its own (vmm/migrate.c), started by a `migrate`
 * request on the control socket; the destination is `vmm receive`
 * (vmm/receive.c).
 */
#include <stdbool.h>
#include <stddef.h>

#include "vmm/compiler.h"

struct vm;

/* Starts the (idle) migration thread; with the control socket's. 0 or -status. */
int migrate__thread_start(struct vm *vm) __must_check;
/* Ends it: a migration in flight fails before its commit (the VM resumes). */
void migrate__thread_stop(void);
/* A migration is running: the control socket refuses pause, resume, snapshot. */
bool migrate__busy(void);
/*
 * The control socket's `migrate ARGS` request from client fd:
 *   migrate MAX_DOWNTIME_MS ABORT_ABOVE_MS ADVANCE_CLOCK(0|1) ADDR [AUTH_FILE]
 * Returns 0 when the migration thread took the job and fd (it writes
 * "progress ..." lines, then the final reply, and closes fd); otherwise a
 * status with the reply's text in out, fd left to the caller.
 */
int migrate__request(struct vm *vm, int fd, const char *args, char *out, size_t outlen);

/* `vmm migrate` (the client, vmm/api.c) and `vmm receive` (vmm/receive.c). */
int migrate__client_main(int argc, char **argv);
int receive__main(int argc, char **argv);

#endif
