/*
 * Commands' options from one table each: getopt_long reads argv with it, and
 * the usage line and --help text are made from it (include/vmm/cmdline.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "vmm/cmdline.h"
#include "vmm/util.h"

#define MAX_OPTIONS	48
#define HELP_COLUMN	25	/* where an option's help text starts */

static const struct cmd_option help_option = {
	"help", 'h', NULL, "this text", 'h', false,
};

/* Every option of spec, in table order, then --help; returns how many. */
static unsigned all_options(const struct cmd_spec *spec, const struct cmd_option **out)
{
	unsigned n = 0;

	for (unsigned t = 0; t < CMD_MAX_TABLES && spec->tables[t]; t++)
		for (const struct cmd_option *o = spec->tables[t]; o->name; o++)
			if (n < MAX_OPTIONS - 1)
				out[n++] = o;
	out[n++] = &help_option;
	return n;
}

/* getopt_long's view of the options: ':' first, so a missing argument is told apart. */
static void getopt_tables(const struct cmd_option **opts, unsigned n, struct option *longs,
			  char *shorts, bool options_first)
{
	char *s = shorts;

	if (options_first)
		*s++ = '+';	/* no permutation: stop at the first operand */
	*s++ = ':';
	for (unsigned i = 0; i < n; i++) {
		longs[i] = (struct option){ opts[i]->name,
					    opts[i]->arg ? required_argument : no_argument,
					    NULL, opts[i]->id };
		if (opts[i]->short_name) {
			*s++ = opts[i]->short_name;
			if (opts[i]->arg)
				*s++ = ':';
		}
	}
	longs[n] = (struct option){ NULL, 0, NULL, 0 };
	*s = '\0';
}

static int index_of(const struct cmd_option **opts, unsigned n, int id)
{
	for (unsigned i = 0; i < n; i++)
		if (opts[i]->id == id)
			return (int)i;
	return -1;
}

/*
 * The one-line reason for getopt_long's '?' or ':'. optopt tells the cases
 * apart (word, argv[optind - 1], is only the option's own for a long one):
 * a missing argument and an argument to a flag give the option's id, an
 * unknown short option its letter, an unknown long option 0.
 */
static void getopt_error(const struct cmd_spec *spec, const struct cmd_option **opts,
			 unsigned n, int opt, const char *word, char *err, size_t errlen)
{
	int i = optopt ? index_of(opts, n, optopt) : -1;
	const struct cmd_option *o = i >= 0 ? opts[i] : NULL;
	char shortform[8] = "";

	if (o && o->short_name)
		snprintf(shortform, sizeof(shortform), "-%c/", o->short_name);
	if (opt == ':' && o)
		set_err(err, errlen, "%s: %s--%s needs an argument (%s); see 'vmm %s --help'",
			spec->name, shortform, o->name, o->arg, spec->name);
	else if (o)
		set_err(err, errlen, "%s: --%s takes no argument; see 'vmm %s --help'",
			spec->name, o->name, spec->name);
	else if (optopt)
		set_err(err, errlen, "%s: unknown option '-%c'; see 'vmm %s --help'",
			spec->name, optopt, spec->name);
	else
		set_err(err, errlen, "%s: unknown option '%s'; see 'vmm %s --help'",
			spec->name, word, spec->name);
}

static int check_operands(const struct cmd_spec *spec, int argc, char **argv, int first,
			  char *err, size_t errlen)
{
	unsigned n = (unsigned)(argc - first);

	if (n > spec->max_operands) {
		set_err(err, errlen, "%s: unexpected argument '%s'; see 'vmm %s --help'",
			spec->name, argv[first + spec->max_operands], spec->name);
		return -VMM_ERR_INPUT;
	}
	if (n < spec->min_operands) {
		set_err(err, errlen, "%s: no %s given; see 'vmm %s --help'", spec->name,
			spec->operand ? spec->operand : "argument", spec->name);
		return -VMM_ERR_INPUT;
	}
	return 0;
}

static int check_required(const struct cmd_spec *spec, const struct cmd_option **opts,
			  unsigned n, const bool *seen, char *err, size_t errlen)
{
	char name[64];

	for (unsigned i = 0; i < n; i++) {
		if (!opts[i]->required || seen[i])
			continue;
		cmdline__option_name(opts[i], name, sizeof(name));
		set_err(err, errlen, "%s: no %s given; see 'vmm %s --help'", spec->name, name,
			spec->name);
		return -VMM_ERR_INPUT;
	}
	return 0;
}

int cmdline__parse(const struct cmd_spec *spec, int argc, char **argv, cmd_option_fn fn,
		   void *ctx, int *first, char *err, size_t errlen)
{
	const struct cmd_option *opts[MAX_OPTIONS];
	struct option longs[MAX_OPTIONS + 1];
	char shorts[2 * MAX_OPTIONS + 3];
	bool seen[MAX_OPTIONS] = { false }, help = false;
	unsigned n = all_options(spec, opts);
	int opt, ret;

	getopt_tables(opts, n, longs, shorts, spec->options_first);
	optind = 0;	/* full re-initialisation, so a parser can run again */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		int i = index_of(opts, n, opt);

		if (opt == '?' || opt == ':' || i < 0) {
			getopt_error(spec, opts, n, opt, argv[optind - 1], err, errlen);
			return -VMM_ERR_INPUT;
		}
		seen[i] = true;
		if (opt == 'h') {
			help = true;
			continue;
		}
		ret = fn(ctx, opt, optarg, err, errlen);
		if (ret)
			return ret;
	}
	if (help)
		return CMDLINE_HELP;
	*first = optind;
	ret = check_operands(spec, argc, argv, optind, err, errlen);
	return ret ? ret : check_required(spec, opts, n, seen, err, errlen);
}

void cmdline__option_name(const struct cmd_option *o, char *buf, size_t len)
{
	char shortform[8] = "";

	if (o->short_name)
		snprintf(shortform, sizeof(shortform), "-%c, ", o->short_name);
	snprintf(buf, len, "%s--%s%s%s", shortform, o->name, o->arg ? " " : "",
		 o->arg ? o->arg : "");
}

/* "  -k, --kernel FILE      help", continuation lines under the first. */
static void print_option(const struct cmd_option *o, FILE *out)
{
	char name[64];
	int col;

	cmdline__option_name(o, name, sizeof(name));
	col = fprintf(out, "  %s%s", o->short_name ? "" : "    ", name);
	if (col > HELP_COLUMN - 2) {
		fputc('\n', out);
		col = 0;
	}
	for (const char *line = o->help; line; ) {
		const char *end = strchr(line, '\n');

		fprintf(out, "%*s%.*s\n", HELP_COLUMN - col, "",
			(int)(end ? end - line : (long)strlen(line)), line);
		col = 0;
		line = end ? end + 1 : NULL;
	}
}

/* "vmm restore DIR [--api-socket PATH] [--paused]": the operand, then each option. */
static void print_made_usage(const struct cmd_spec *spec, const struct cmd_option **opts,
			     unsigned n, FILE *out)
{
	fprintf(out, "usage: vmm %s", spec->name);
	if (spec->operand)
		fprintf(out, spec->min_operands ? " %s" : " [%s]", spec->operand);
	for (unsigned i = 0; i + 1 < n; i++) {	/* not --help */
		const struct cmd_option *o = opts[i];
		char name[48];

		if (o->short_name)
			snprintf(name, sizeof(name), "-%c", o->short_name);
		else
			snprintf(name, sizeof(name), "--%s", o->name);
		fprintf(out, " %s%s%s%s%s", o->required ? "" : "[", name, o->arg ? " " : "",
			o->arg ? o->arg : "", o->required ? "" : "]");
	}
	fputc('\n', out);
}

static void print_usage(const struct cmd_spec *spec, const struct cmd_option **opts,
			unsigned n, FILE *out)
{
	const char *prefix = "usage: ";

	if (!spec->usage) {
		print_made_usage(spec, opts, n, out);
		return;
	}
	for (const char *line = spec->usage; line; prefix = "       ") {
		const char *end = strchr(line, '\n');

		fprintf(out, "%s%.*s\n", prefix, (int)(end ? end - line : (long)strlen(line)), line);
		line = end ? end + 1 : NULL;
	}
}

void cmdline__print_help(const struct cmd_spec *spec, FILE *out)
{
	const struct cmd_option *opts[MAX_OPTIONS];
	unsigned n = all_options(spec, opts);

	print_usage(spec, opts, n, out);
	if (spec->about)
		fprintf(out, "\n%s", spec->about);
	fputc('\n', out);
	for (unsigned i = 0; i < n; i++)
		print_option(opts[i], out);
	if (spec->notes)
		fprintf(out, "\n%s", spec->notes);
}
