/*
 * The control socket's client commands: vmm pause, resume, stop, status
 * and snapshot (docs/api.md). The server is vmm/api-server.c.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/api.h"
#include "vmm/commands.h"
#include "vmm/migrate.h"
#include "vmm/util.h"

#define CLIENT_TIMEOUT_MS 60000		/* the wait for a reply, but for snapshots */

/* Sends the whole request; a vmm that closed gives EPIPE, never a SIGPIPE. */
static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

struct progress {
	const char *dir;	/* a snapshot's DIR, or NULL */
	bool lines;		/* the server sends "progress ..." lines (migrate) */
	bool shown;
};

/* About once a second while a snapshot runs: a line on a terminal only. */
static void show_progress(struct progress *p)
{
	long long bytes;

	if (!p->dir || !isatty(STDERR_FILENO))
		return;
	bytes = api__snapshot_progress(p->dir);
	if (bytes < 0)
		return;
	fprintf(stderr, "\rsnapshot: %lld MiB of memory written", bytes >> 20);
	p->shown = true;
}

/* A "progress TEXT" line the server sent: TEXT on a terminal, in place. */
static void show_line(struct progress *p, const char *text)
{
	if (!isatty(STDERR_FILENO))
		return;
	fprintf(stderr, "\r%-70s", text);
	p->shown = true;
}

/*
 * Takes the whole lines among the len bytes of line: a progress line is
 * shown and dropped; the first other line ends in a NUL (returns true).
 */
static bool take_lines(char *line, size_t *len, struct progress *p)
{
	char *nl;

	while ((nl = memchr(line, '\n', *len))) {
		size_t n = (size_t)(nl - line) + 1;

		*nl = 0;
		if (!p->lines || strncmp(line, "progress ", 9))
			return true;
		show_line(p, line + 9);
		memmove(line, line + n, *len - n);
		*len -= n;
	}
	return false;
}

/*
 * Reads the reply line. timeout_ms < 0 waits as long as vmm keeps the
 * connection open (a snapshot of a large guest takes what it takes).
 */
static int read_reply(int fd, char *line, size_t size, int timeout_ms, struct progress *p)
{
	double end = vmm_uptime_ms() + timeout_ms;
	size_t len = 0;

	while (len + 1 < size) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		double left = end - vmm_uptime_ms();
		int wait = 1000, n;
		ssize_t got;

		if (timeout_ms >= 0 && left <= 0)
			return -1;
		if (timeout_ms >= 0 && left < wait)
			wait = (int)left + 1;
		n = poll(&pfd, 1, wait);
		if (n < 0 && errno != EINTR)
			return -1;
		if (n <= 0) {
			show_progress(p);
			continue;
		}
		got = read(fd, line + len, size - 1 - len);
		if (got <= 0)
			return -1;	/* vmm closed the connection without a whole line */
		len += (size_t)got;
		if (take_lines(line, &len, p))
			return 0;
	}
	return -1;
}

static int send_request(const char *path, const char *req, struct progress *p)
{
	struct sockaddr_un addr;
	char line[API_LINE_MAX];
	int fd, status, got;

	if (api__make_addr(path, &addr))
		return VMM_ERR_INPUT;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		pr_err("--api-socket %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return VMM_ERR_INPUT;
	}
	snprintf(line, sizeof(line), "%s\n", req);
	got = send_all(fd, line, strlen(line)) == 0 &&
	      read_reply(fd, line, sizeof(line), p->dir || p->lines ? -1 : CLIENT_TIMEOUT_MS,
			 p) == 0;
	close(fd);
	if (p->shown)
		fputc('\n', stderr);
	if (!got) {
		pr_err("--api-socket %s: no reply", path);
		return VMM_ERR_INTERNAL;
	}
	if (!strncmp(line, "ok", 2)) {
		if (line[2] == ' ')
			printf("%s\n", line + 3);
		return 0;
	}
	if (sscanf(line, "error %d", &status) == 1 && status > 0 && status < 256) {
		const char *text = strchr(line + 6, ' ');

		pr_err("%s", text ? text + 1 : line);
		return status;
	}
	pr_err("--api-socket %s: bad reply '%.80s'", path, line);
	return VMM_ERR_INTERNAL;
}

struct client_args {
	const char *path, *dir, *base;
	bool stop;
	/* vmm migrate */
	const char *to, *auth_file;
	uint64_t max_downtime, abort_above;
	bool advance_clock;
};

static int client_option(void *ctx, int id, char *arg, char *err, size_t errlen)
{
	struct client_args *a = ctx;

	switch (id) {
	case CLIENT_OPT_API_SOCKET: a->path = arg; break;
	case 'o': a->dir = arg; break;
	case CLIENT_OPT_STOP: a->stop = true; break;
	case MIGRATE_OPT_TO: a->to = arg; break;
	case MIGRATE_OPT_AUTH_FILE: a->auth_file = arg; break;
	case MIGRATE_OPT_ADVANCE_CLOCK: a->advance_clock = true; break;
	case MIGRATE_OPT_MAX_DOWNTIME:
	case MIGRATE_OPT_ABORT_ABOVE:
		if (!parse_uint(arg, id == MIGRATE_OPT_ABORT_ABOVE, 3600000,
				id == MIGRATE_OPT_MAX_DOWNTIME ? &a->max_downtime : &a->abort_above)) {
			set_err(err, errlen, "--%s %s: expected milliseconds, up to 3600000",
				id == MIGRATE_OPT_MAX_DOWNTIME ? "max-downtime" : "abort-above", arg);
			return -VMM_ERR_INPUT;
		}
		break;
	case CLIENT_OPT_BASE: a->base = arg; break;
	}
	return 0;
}

/* The server's working directory is not ours: paths go absolute. */
static char *absolute(const char *path)
{
	char cwd[2048], *out;

	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd))) {
		pr_err("cannot find the working directory: %s", strerror(errno));
		return NULL;
	}
	if (asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
}

int migrate__client_main(int argc, char **argv)
{
	struct client_args a = { .max_downtime = 300 };
	char request[API_LINE_MAX], *auth = NULL, err[256];
	int first, ret;

	ret = cmdline__parse(&commands__migrate, argc, argv, client_option, &a, &first, err,
			     sizeof(err));
	if (ret == CMDLINE_HELP) {
		cmdline__print_help(&commands__migrate, stdout);
		return 0;
	}
	if (ret) {
		pr_err("%s", err);
		return -ret;
	}
	if (strchr(a.to, ' ') || strchr(a.to, '\n')) {
		pr_err("--to %s: an address has no spaces", a.to);
		return VMM_ERR_INPUT;
	}
	if (a.auth_file && !(auth = absolute(a.auth_file)))
		return VMM_ERR_INTERNAL;
	ret = snprintf(request, sizeof(request), "migrate %llu %llu %d %s %s",
		       (unsigned long long)a.max_downtime, (unsigned long long)a.abort_above,
		       a.advance_clock, a.to, auth ? auth : "");
	free(auth);
	if (ret < 0 || ret + 1 >= (int)sizeof(request)) {
		pr_err("migrate: the address and --auth-file are longer than a request line takes");
		return VMM_ERR_INPUT;
	}
	return send_request(a.path, request, &(struct progress){ .lines = true });
}

int api__request(const char *path, const char *req)
{
	struct progress p = { 0 };

	return send_request(path, req, &p);
}

/* "snapshot[-stop] DIR", or "snapshot-base[-stop] N BASE DIR" (api__parse_snapshot_base). */
static int snapshot_request(const struct client_args *a)
{
	char request[API_LINE_MAX], *dir = absolute(a->dir), *base = NULL;
	int n, ret = VMM_ERR_INTERNAL;

	if (a->base)
		base = absolute(a->base);
	if (!dir || (a->base && !base))
		goto out;
	if (base)
		n = snprintf(request, sizeof(request), "snapshot-base%s %zu %s %s",
			     a->stop ? "-stop" : "", strlen(base), base, dir);
	else
		n = snprintf(request, sizeof(request), "snapshot%s %s", a->stop ? "-stop" : "", dir);
	if (n < 0 || n + 1 >= (int)sizeof(request)) {
		pr_err("snapshot: paths longer than a request line takes (%d bytes)",
		       API_LINE_MAX - 1);
		ret = VMM_ERR_INPUT;
		goto out;
	}
	ret = send_request(a->path, request, &(struct progress){ .dir = dir });
out:
	free(dir);
	free(base);
	return ret;
}

int api__client_main(int argc, char **argv)
{
	const char *cmd = argv[0];
	const struct command *command = commands__find(cmd);
	struct client_args a = { 0 };
	char request[API_LINE_MAX], err[256];
	bool snapshot = !strcmp(cmd, "snapshot");
	int first, ret;

	if (!command) {
		pr_err("%s: not a control socket command", cmd);
		return VMM_ERR_INTERNAL;
	}
	ret = cmdline__parse(command->spec, argc, argv, client_option, &a, &first, err,
			     sizeof(err));
	if (ret == CMDLINE_HELP) {
		cmdline__print_help(command->spec, stdout);
		return 0;
	}
	if (ret) {
		pr_err("%s", err);
		return -ret;
	}
	if (snapshot)
		return snapshot_request(&a);
	snprintf(request, sizeof(request), "%s", cmd);
	return api__request(a.path, request);
}
