/*
 * The command table: dispatch, `vmm help`, each command's --help and usage,
 * the option parser's errors, and docs/usage.md against `vmm run`'s options.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "stub-commands.h"
#include "vmm/commands.h"
#include "vmm/config.h"
#include "vmm/util.h"

#define MAX_ARGS 16
#define OUT_MAX 16384

struct result {
	int status;
	char out[OUT_MAX], err[OUT_MAX];
};

static char *slurp(FILE *f, char *buf)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, OUT_MAX - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Runs `vmm LINE` through commands__dispatch with stdout and stderr captured. */
static void vmm(struct result *r, const char *line)
{
	static char buf[512];
	char *argv[MAX_ARGS + 1] = { "vmm" };
	int argc = 1, saved_out = dup(1), saved_err = dup(2);
	FILE *out = tmpfile(), *err = tmpfile();

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *tok = strtok(buf, " "); tok && argc < MAX_ARGS; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	argv[argc] = NULL;
	assert_non_null(out);
	assert_non_null(err);
	memset(&stub_last_call, 0, sizeof(stub_last_call));
	fflush(stdout);
	fflush(stderr);
	dup2(fileno(out), 1);
	dup2(fileno(err), 2);
	r->status = commands__dispatch(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	slurp(out, r->out);
	slurp(err, r->err);
}

static void test_help_lists_every_command(void **state)
{
	static const char *const forms[] = { "help", "--help", "-h" };
	static struct result r;

	for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
		vmm(&r, forms[i]);
		assert_int_equal(r.status, 0);
		assert_string_equal(r.err, "");
		assert_true(!strncmp(r.out, "usage: vmm COMMAND", 18));
		for (const struct command *c = commands__table; c->name; c++) {
			char want[128];

			snprintf(want, sizeof(want), "\n  %-15s%s\n", c->name, c->summary);
			if (!strstr(r.out, want))
				fail_msg("'vmm %s' lacks '%s'", forms[i], want + 1);
		}
	}
	/* Alone: the same list, on stderr, and status 2. */
	vmm(&r, "");
	assert_int_equal(r.status, VMM_ERR_INPUT);
	assert_string_equal(r.out, "");
	assert_non_null(strstr(r.err, "\n  snapshot-info  describe a snapshot\n"));
}

static void test_unknown_command(void **state)
{
	static struct result r;

	vmm(&r, "frobnicate --help");
	assert_int_equal(r.status, VMM_ERR_INPUT);
	assert_string_equal(r.err, "vmm: unknown command 'frobnicate'; see 'vmm help'\n");
	assert_null(stub_last_call.handler);
	vmm(&r, "help frobnicate");
	assert_int_equal(r.status, VMM_ERR_INPUT);
	assert_non_null(strstr(r.err, "'frobnicate'"));
}

/* Every command's --help: status 0, its usage first, each of its options listed. */
static void test_every_command_help(void **state)
{
	static struct result r;

	for (const struct command *c = commands__table; c->name; c++) {
		const struct cmd_spec *s = c->spec;
		char usage[64], line[128], *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		int first;

		/* The spec's parser and help, as every handler uses them. */
		char *argv[] = { (char *)c->name, "--help", NULL };
		assert_int_equal(cmdline__parse(s, 2, argv, NULL, NULL, &first, line, sizeof(line)),
				 CMDLINE_HELP);
		cmdline__print_help(s, f);
		fclose(f);
		snprintf(usage, sizeof(usage), "usage: vmm %s", c->name);
		if (strncmp(text, usage, strlen(usage)))
			fail_msg("%s --help begins '%.40s'", c->name, text);
		for (unsigned t = 0; t < CMD_MAX_TABLES && s->tables[t]; t++) {
			for (const struct cmd_option *o = s->tables[t]; o->name; o++) {
				cmdline__option_name(o, line, sizeof(line));
				if (!strstr(text, line))
					fail_msg("%s --help lacks %s", c->name, line);
			}
		}
		assert_non_null(strstr(text, "\n  -h, --help             this text\n"));
		free(text);
		/* And through the dispatch, for the handlers that are here (not stand-ins). */
		snprintf(line, sizeof(line), "%s --help", c->name);
		vmm(&r, line);
		if (!stub_last_call.handler) {
			assert_int_equal(r.status, 0);
			assert_true(!strncmp(r.out, usage, strlen(usage)));
		}
	}
}

static void test_dispatch(void **state)
{
	static struct result r;

	vmm(&r, "restore snap --paused");
	assert_int_equal(r.status, STUB_EXIT);
	assert_string_equal(stub_last_call.handler, "restore__main");
	assert_string_equal(stub_last_call.argv0, "restore");
	assert_int_equal(stub_last_call.argc, 3);
	vmm(&r, "snapshot --api-socket s -o d");
	assert_string_equal(stub_last_call.handler, "api__client_main");
	assert_string_equal(stub_last_call.argv0, "snapshot");
	vmm(&r, "caps --json");
	assert_string_equal(stub_last_call.handler, "caps__main");
	vmm(&r, "snapshot-info d");
	assert_string_equal(stub_last_call.handler, "snapinfo__main");
	vmm(&r, "exec -k K -- ls -l");
	assert_string_equal(stub_last_call.handler, "exec__main");
	assert_int_equal(stub_last_call.argc, 6);
	vmm(&r, "run -k Image");
	assert_int_equal(r.status, STUB_EXIT);
	assert_string_equal(stub_last_call.handler, "vmm__run");
	assert_string_equal(stub_last_call.argv0, "Image");
	vmm(&r, "version");
	assert_int_equal(r.status, 0);
	assert_true(!strncmp(r.out, "vmm ", 4));
	vmm(&r, "--version");
	assert_true(!strncmp(r.out, "vmm ", 4));
	vmm(&r, "help restore");
	assert_int_equal(r.status, 0);
	assert_true(!strncmp(r.out, "usage: vmm restore DIR", 22));
}

/* A bad `vmm run` never reaches the VM: status 2, one line naming the option. */
static void test_run_errors(void **state)
{
	static const struct { const char *line, *err; } cases[] = {
		{ "run -k K --frobnicate", "vmm: run: unknown option '--frobnicate'; see 'vmm run --help'\n" },
		{ "run -k K -j", "vmm: run: unknown option '-j'; see 'vmm run --help'\n" },
		{ "run -k", "vmm: run: -k/--kernel needs an argument (FILE); see 'vmm run --help'\n" },
		{ "run -k K --ipa-bits", "vmm: run: --ipa-bits needs an argument (N); see 'vmm run --help'\n" },
		{ "run -k K --pmu=yes", "vmm: run: --pmu takes no argument; see 'vmm run --help'\n" },
		{ "run -k K --help=x", "vmm: run: --help takes no argument; see 'vmm run --help'\n" },
		/* An unknown letter after a known one, after a long option. */
		{ "run --pmu -kK -hj", "vmm: run: unknown option '-j'; see 'vmm run --help'\n" },
		{ "run --pmu -jh", "vmm: run: unknown option '-j'; see 'vmm run --help'\n" },
		{ "run --pmu -hj", "vmm: run: unknown option '-j'; see 'vmm run --help'\n" },
		{ "version --json", "vmm: version: unknown option '--json'; see 'vmm version --help'\n" },
		{ "help run caps", "vmm: help: unexpected argument 'caps'; see 'vmm help --help'\n" },
	};
	static struct result r;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		vmm(&r, cases[i].line);
		if (r.status != VMM_ERR_INPUT || strcmp(r.err, cases[i].err))
			fail_msg("'%s': status %d, '%s'", cases[i].line, r.status, r.err);
		assert_null(stub_last_call.handler);
		assert_string_equal(r.out, "");
	}
}

struct seen {
	int ids[8];
	unsigned n;
};

static int record_option(void *ctx, int id, char *arg, char *err, size_t errlen)
{
	struct seen *s = ctx;

	if (s->n < ARRAY_SIZE(s->ids))
		s->ids[s->n++] = id;
	return 0;
}

static int parse(const struct cmd_spec *spec, const char *line, struct seen *s, int *first,
		 char **argv, char *err)
{
	static char buf[256];
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *tok = strtok(buf, " "); tok && argc < MAX_ARGS; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	argv[argc] = NULL;
	memset(s, 0, sizeof(*s));
	err[0] = '\0';
	return cmdline__parse(spec, argc, argv, record_option, s, first, err, 256);
}

/* Options after operands, "--", required options and the operand count. */
static void test_parser(void **state)
{
	static const struct { const struct cmd_spec *spec; const char *line, *err; } bad[] = {
		{ &commands__restore, "restore", "restore: no DIR given; see 'vmm restore --help'" },
		{ &commands__restore, "restore a b", "restore: unexpected argument 'b'" },
		{ &commands__snapshot_info, "snapshot-info --regs", "snapshot-info: no DIR given" },
		{ &commands__pause, "pause", "pause: no --api-socket PATH given" },
		{ &commands__pause, "pause --api-socket s --stop", "pause: unknown option '--stop'" },
		{ &commands__snapshot, "snapshot --api-socket s", "snapshot: no -o, --output DIR given" },
		{ &commands__stop, "stop --api-socket s x", "stop: unexpected argument 'x'" },
	};
	char *argv[MAX_ARGS + 1], err[256];
	struct seen s;
	int first;

	assert_int_equal(parse(&commands__snapshot_info, "snapshot-info DIR --regs --json", &s,
			       &first, argv, err), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ids[0], INFO_OPT_REGS);
	assert_int_equal(s.ids[1], INFO_OPT_JSON);
	assert_string_equal(argv[first], "DIR");

	assert_int_equal(parse(&commands__restore, "restore --debug -- --check", &s, &first,
			       argv, err), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(argv[first], "--check");

	assert_int_equal(parse(&commands__snapshot, "snapshot -o d --api-socket=s --stop", &s,
			       &first, argv, err), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.ids[0], 'o');

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int ret = parse(bad[i].spec, bad[i].line, &s, &first, argv, err);

		if (ret != -VMM_ERR_INPUT || strncmp(err, bad[i].err, strlen(bad[i].err)))
			fail_msg("'%s': %d '%s', want '%s'", bad[i].line, ret, err, bad[i].err);
	}
}

static const char *help_text(const struct cmd_spec *spec, char **text)
{
	size_t len;
	FILE *f = open_memstream(text, &len);

	cmdline__print_help(spec, f);
	fclose(f);
	return *text;
}

/* The usage line made from the table names every option; long help wraps under itself. */
static void test_help_layout(void **state)
{
	char *text = NULL;

	help_text(&commands__restore, &text);
	{
		static const char usage[] = "usage: vmm restore DIR [--api-socket PATH] [--paused] "
			"[--check] [--copy-memory] [-d PATH[,ro]] [-n tap=NAME] [--debug] "
			"[--seccomp kill|log|off] [--ksm]\n";

		assert_true(!strncmp(text, usage, sizeof(usage) - 1));
	}
	free(text);
	help_text(&commands__snapshot, &text);
	assert_true(!strncmp(text, "usage: vmm snapshot --api-socket PATH -o DIR [--stop] "
			     "[--base PREV]\n", 68));
	free(text);
	help_text(&commands__run, &text);
	assert_non_null(strstr(text, "\n  -k, --kernel FILE      the kernel Image (required)\n"));
	assert_non_null(strstr(text, "\n      --ipa-bits N       guest physical address size, 32..52 (default: the\n"
			       "                         smallest that covers the memory map)\n"));
	assert_non_null(strstr(text, "\n  -n, --net tap=NAME[,mac=MAC]\n"
			       "                         a virtio network device"));
	/* The arch's options come after the machine's, before the devices'. */
	assert_true(strstr(text, "--ipa-bits") < strstr(text, "--sve-vls"));
	assert_true(strstr(text, "--no-ptrauth") < strstr(text, "--dump-dtb"));
	free(text);
	help_text(&commands__caps, &text);
	{
		static const char usage[] = "usage: vmm caps [--json | --labels | --check-plan PLAN]\n"
			"       vmm caps --plan [--json] [--accept REG.FIELD,...] FILE...\n";

		assert_true(!strncmp(text, usage, sizeof(usage) - 1));
	}
	free(text);
}

/* ---- docs/usage.md lists exactly `vmm run`'s and `vmm exec`'s options ---- */

#define MAX_DOC_ROWS 64

/*
 * The first cells of the flag table's rows, "-k, --kernel FILE", unescaped,
 * in the part of docs/usage.md under the heading "# vmm NAME".
 */
static unsigned doc_options(const char *name, char rows[][64])
{
	FILE *f = fopen("docs/usage.md", "r");
	char line[1024], heading[64];
	bool inside = false;
	unsigned n = 0;

	if (!f)
		fail_msg("docs/usage.md: cannot open it (run the unit tests from the top directory)");
	snprintf(heading, sizeof(heading), "# vmm %s\n", name);
	while (fgets(line, sizeof(line), f) && n < MAX_DOC_ROWS) {
		char *end, *out = rows[n];

		if (!strncmp(line, "# ", 2))
			inside = !strcmp(line, heading);
		if (!inside || strncmp(line, "| `-", 4))
			continue;
		end = strstr(line + 3, "` |");
		assert_non_null(end);
		for (const char *p = line + 3; p < end && out < rows[n] + 63; p++)
			if (!(p[0] == '\\' && p[1] == '|'))
				*out++ = *p;
		*out = '\0';
		n++;
	}
	fclose(f);
	return n;
}

static void docs_match(const struct cmd_spec *spec)
{
	static char rows[MAX_DOC_ROWS][64];
	bool used[MAX_DOC_ROWS] = { false };
	unsigned n = doc_options(spec->name, rows), options = 0;
	char name[64];

	for (unsigned t = 0; t < CMD_MAX_TABLES && spec->tables[t]; t++) {
		for (const struct cmd_option *o = spec->tables[t]; o->name; o++) {
			unsigned i;

			cmdline__option_name(o, name, sizeof(name));
			for (i = 0; i < n && strcmp(rows[i], name); i++)
				;
			if (i == n)
				fail_msg("docs/usage.md: no row for `vmm %s %s`", spec->name, name);
			used[i] = true;
			options++;
		}
	}
	for (unsigned i = 0; i < n; i++)
		if (!used[i])
			fail_msg("docs/usage.md: `%s` is not an option of vmm %s", rows[i], spec->name);
	assert_int_equal(n, options);
}

static void test_docs_match_run_options(void **state)
{
	docs_match(&commands__run);
}

static void test_docs_match_exec_options(void **state)
{
	docs_match(&commands__exec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_lists_every_command),
		cmocka_unit_test(test_unknown_command),
		cmocka_unit_test(test_every_command_help),
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_run_errors),
		cmocka_unit_test(test_parser),
		cmocka_unit_test(test_help_layout),
		cmocka_unit_test(test_docs_match_run_options),
		cmocka_unit_test(test_docs_match_exec_options),
	};

	return cmocka_run_group_tests_name("commands", tests, NULL, NULL);
}
