#ifndef VMM_TERM_H
#define VMM_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The console on vmm's stdin and stdout. On a terminal, stdin is raw and
 * Ctrl-A x quits; with pipes, bytes pass through unchanged.
 */
void term__setup(void);
/* Restores the terminal; safe to call more than once and at exit. */
void term__restore(void);
/* Writes guest console output to stdout, whole, in order. */
void term__write(const void *buf, size_t len);
/*
 * Filters typed input in place for the Ctrl-A escape. Returns the bytes
 * left for the guest; sets *quit when the user typed Ctrl-A x.
 */
size_t term__filter(uint8_t *buf, size_t len, bool *quit);

#endif
