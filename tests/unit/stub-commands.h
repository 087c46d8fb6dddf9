#ifndef VMM_TESTS_STUB_COMMANDS_H
#define VMM_TESTS_STUB_COMMANDS_H

/*
 * Stand-ins for the command handlers that need KVM (tests/unit/stub-commands.c),
 * so the command table links natively. Each records how it was called.
 */
struct stub_call {
	const char *handler;	/* "vmm__run", "restore__main", ...; NULL: none yet */
	int argc;
	const char *argv0;
};

extern struct stub_call stub_last_call;

#define STUB_EXIT	42	/* what every stand-in returns */

#endif
