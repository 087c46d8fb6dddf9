#ifndef VMM_TERM_H
#define VMM_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/compiler.h"

/*
 * The console on vmm's stdin and stdout. On a terminal, stdin is raw and
 * Ctrl-A x quits; with pipes, bytes pass through unchanged.
 */
void term__setup(void);
/*
 * Flushes guest output (term__flush(1000)) and restores the terminal;
 * safe to call more than once and at exit.
 */
void term__restore(void);

/*
 * Guest console output goes through a ring of TERM_BUF_SIZE bytes that a
 * writer thread drains to stdout. term__write never blocks on stdout:
 * what does not fit is dropped and counted (docs/security.md).
 */
#define TERM_BUF_SIZE	(64 * 1024)
/* Queues guest console output for stdout, in order; each call's bytes stay together. */
void term__write(const void *buf, size_t len);
/*
 * Starts the writer thread now, rather than at the first write: a vcpu
 * thread under its seccomp filter may not create threads. Returns once the
 * writer is under its own filter: 0, or -VMM_ERR_INTERNAL (said why) when
 * it could not start or enter its filter; guest output is then discarded.
 */
int term__start(void) __must_check;
/*
 * Waits until the queued output is written, giving up (and dropping the
 * rest) once stdout has taken nothing for idle_ms. Then reports, once,
 * how many bytes were dropped, if any.
 */
void term__flush(int idle_ms);
/* Bytes dropped since the last report. */
uint64_t term__dropped(void);
/* Sends the output to fd instead of stdout, the ring emptied (for tests). */
void term__output_to(int fd);

/*
 * Filters typed input in place for the Ctrl-A escape. Returns the bytes
 * left for the guest; sets *quit when the user typed Ctrl-A x.
 */
size_t term__filter(uint8_t *buf, size_t len, bool *quit);

#endif
