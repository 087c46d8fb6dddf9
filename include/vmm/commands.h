#ifndef VMM_COMMANDS_H
#define VMM_COMMANDS_H

#include <stdio.h>

#include "vmm/cmdline.h"

/*
 * vmm's commands, from one table (vmm/commands.c): `vmm help`, each
 * `vmm NAME --help` and the dispatch come from it. A new command gets a
 * line in the table, a struct cmd_spec beside it and a handler.
 */
struct command {
	const char *name;
	const char *summary;		/* one line for `vmm help` */
	const struct cmd_spec *spec;	/* its options and --help text */
	int (*main)(int argc, char **argv);	/* argv[0] is the name; returns the exit status */
};

extern const struct command commands__table[];

/* The command called name, or NULL. */
const struct command *commands__find(const char *name);

/* Runs `vmm ARGS...` (argv[0] is "vmm"); returns the exit status. */
int commands__dispatch(int argc, char **argv);

/* `vmm help`: every command with its summary. */
void commands__print_help(FILE *out);

/* Each command's options; their ids are below. */
extern const struct cmd_spec commands__run, commands__restore, commands__snapshot_info,
	commands__caps, commands__pause, commands__resume, commands__stop, commands__status,
	commands__snapshot, commands__exec, commands__migrate, commands__receive;

enum {	/* vmm run */
	RUN_OPT_IPA_BITS = 0x100, RUN_OPT_DUMP_DTB, RUN_OPT_NAME, RUN_OPT_API_SOCKET,
	RUN_OPT_RNG, RUN_OPT_CONSOLE, RUN_OPT_TESTDEV, RUN_OPT_DEBUG, RUN_OPT_SECCOMP,
	RUN_OPT_KSM,
};
enum {	/* vmm restore */
	RESTORE_OPT_API_SOCKET = 0x100, RESTORE_OPT_PAUSED, RESTORE_OPT_CHECK,
	RESTORE_OPT_COPY_MEMORY, RESTORE_OPT_DEBUG, RESTORE_OPT_SECCOMP, RESTORE_OPT_KSM,
};
enum { INFO_OPT_JSON = 0x100, INFO_OPT_REGS };	/* vmm snapshot-info */
enum { CAPS_OPT_JSON = 0x100, CAPS_OPT_PLAN, CAPS_OPT_LABELS, CAPS_OPT_ACCEPT, CAPS_OPT_CHECK_PLAN };	/* vmm caps */
enum { CLIENT_OPT_API_SOCKET = 0x100, CLIENT_OPT_STOP, CLIENT_OPT_BASE };	/* pause, resume, stop, snapshot */
enum {	/* vmm migrate (and --api-socket as the clients') */
	MIGRATE_OPT_TO = 0x200, MIGRATE_OPT_MAX_DOWNTIME, MIGRATE_OPT_ABORT_ABOVE,
	MIGRATE_OPT_ADVANCE_CLOCK, MIGRATE_OPT_AUTH_FILE,
};
enum {	/* vmm receive (and restore's ids for the options they share) */
	RECEIVE_OPT_LISTEN = 0x200, RECEIVE_OPT_AUTH_FILE,
};
enum {	/* vmm exec (and -k, -c, -m as vmm run's) */
	EXEC_OPT_EACH_VL = 0x100, EXEC_OPT_TIMEOUT, EXEC_OPT_DEBUG,
};

/* The handlers (each parses its argv with its spec). */
int restore__main(int argc, char **argv);	/* vmm/restore.c */
int snapinfo__main(int argc, char **argv);	/* vmm/snapinfo.c */
int api__client_main(int argc, char **argv);	/* vmm/api.c: pause, resume, stop, snapshot */
int caps__main(int argc, char **argv);		/* the arch's caps command */
int exec__main(int argc, char **argv);		/* vmm/exec.c */

#endif
