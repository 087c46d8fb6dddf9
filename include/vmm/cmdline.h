#ifndef VMM_CMDLINE_H
#define VMM_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "vmm/compiler.h"

/*
 * A command's options as one table: getopt_long's option list, its
 * optstring, the usage line and the --help text all come from it.
 */
struct cmd_option {
	const char *name;	/* the long name, without "--"; NULL ends a table */
	char short_name;	/* the one-letter form, or 0 */
	const char *arg;	/* the argument's name in the help; NULL: a flag */
	const char *help;	/* the help text; '\n' starts a continuation line */
	int id;			/* what the parser hands on: short_name, or an id >= 0x100 */
	bool required;		/* the command cannot run without it */
};

/* Option ids of the arch's own options start here (arch__run_options). */
#define CMD_OPT_ARCH	0x200

#define CMD_MAX_TABLES	3

/* What `vmm NAME --help` prints, and what the parser reads argv with. */
struct cmd_spec {
	const char *name;	/* "restore" */
	const char *usage;	/* usage lines, '\n' between; NULL: made from the tables */
	const char *about;	/* what the command does: lines, each ending '\n' */
	const struct cmd_option *tables[CMD_MAX_TABLES];	/* unused ones NULL */
	const char *operand;	/* the operands' name in usage ("DIR"), or NULL */
	unsigned min_operands, max_operands;
	const char *notes;	/* after the options, e.g. the exit statuses */
	bool options_first;	/* options end at the first operand (a command and its args) */
};

#define CMD_MANY_OPERANDS	(~0u)

/* cmdline__parse()'s result besides errors: -h or --help was given. */
enum { CMDLINE_HELP = 1 };

/* Applies one option; returns 0 or -VMM_ERR_INPUT with a one-line reason in err. */
typedef int (*cmd_option_fn)(void *ctx, int id, char *arg, char *err, size_t errlen);

/*
 * Parses argv (argv[0] is the command's name) with getopt_long: options and
 * operands in any order (with options_first, options end at the first
 * operand), "--" ends the options. Calls fn for each option in
 * the order given. Returns 0 with the operands in argv[*first..argc-1] (their
 * number and the required options checked), CMDLINE_HELP for -h or --help
 * (nothing printed), or -VMM_ERR_INPUT with a one-line reason in err that
 * names the option or argument.
 */
int cmdline__parse(const struct cmd_spec *spec, int argc, char **argv, cmd_option_fn fn,
		   void *ctx, int *first, char *err, size_t errlen) __must_check;

/* `vmm NAME --help`: usage, about, one line per option, notes. */
void cmdline__print_help(const struct cmd_spec *spec, FILE *out);

/* An option as the help's first column and docs/usage.md show it: "-k, --kernel FILE". */
void cmdline__option_name(const struct cmd_option *o, char *buf, size_t len);

#endif
