/* The control socket: server in the running vmm, client commands. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/api.h"
#include "vmm/commands.h"
#include "vmm/vm.h"
#include "vmm/vmstate.h"

#define API_LINE_MAX	4096
#define API_TIMEOUT_MS	5000	/* a client that sends nothing is dropped */
#define REPLY_TIMEOUT_MS (30 * 60 * 1000)	/* a snapshot of a large guest takes a while */

static int make_addr(const char *path, struct sockaddr_un *addr)
{
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(addr->sun_path)) {
		pr_err("--api-socket %s: path longer than %zu bytes", path,
		       sizeof(addr->sun_path) - 1);
		return -VMM_ERR_INPUT;
	}
	strcpy(addr->sun_path, path);
	return 0;
}

/* A socket file nobody listens on is left over from a dead vmm: replace it. */
static int remove_stale(const char *path, const struct sockaddr_un *addr)
{
	struct stat st;
	int fd, live;

	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		pr_err("--api-socket %s: exists and is not a socket", path);
		return -VMM_ERR_INPUT;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	live = fd >= 0 && connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0;
	if (fd >= 0)
		close(fd);
	if (live) {
		pr_err("--api-socket %s: another vmm is listening there", path);
		return -VMM_ERR_INPUT;
	}
	unlink(path);
	return 0;
}

int api__listen(const char *path)
{
	struct sockaddr_un addr;
	int fd, err;

	err = make_addr(path, &addr);
	if (!err)
		err = remove_stale(path, &addr);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(fd, 4) < 0) {
		pr_err("--api-socket %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -VMM_ERR_INPUT;
	}
	return fd;
}

void api__close(int listen_fd, const char *path)
{
	if (listen_fd < 0)
		return;
	close(listen_fd);
	unlink(path);
}

/* Reads one line (without its newline) with a time limit. */
static int read_line(int fd, char *line, size_t size, int timeout_ms)
{
	size_t len = 0;

	while (len + 1 < size) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, timeout_ms) <= 0)
			return -1;
		n = read(fd, line + len, 1);
		if (n <= 0)
			return len ? 0 : -1;
		if (line[len] == '\n')
			break;
		len++;
	}
	line[len] = 0;
	return 0;
}

static void reply(int fd, int status, const char *text)
{
	char line[API_LINE_MAX];
	int n;

	if (status)
		n = snprintf(line, sizeof(line), "error %d %s\n", status, text);
	else
		n = snprintf(line, sizeof(line), "ok%s%s\n", *text ? " " : "", text);
	if (write(fd, line, (size_t)n) < 0)
		pr_debug("api: reply: %s", strerror(errno));
}

/* Runs one request; the reply text goes to out. Returns a status. */
static int run_request(struct vm *vm, char *req, char *out, size_t outlen)
{
	out[0] = 0;
	if (!strcmp(req, "pause"))
		return vmstate__pause(vm, out, outlen);
	if (!strcmp(req, "resume"))
		return vmstate__resume(vm, out, outlen);
	if (!strcmp(req, "stop")) {
		vm__request_stop(vm, VM_EXIT_POWEROFF);
		return 0;
	}
	if (!strcmp(req, "status")) {
		snprintf(out, outlen, "%s", vm->pause_requested ? "paused" : "running");
		return 0;
	}
	if (!strncmp(req, "snapshot ", 9) || !strncmp(req, "snapshot-stop ", 14)) {
		bool stop = req[8] == '-';
		const char *dir = req + (stop ? 14 : 9);

		return vmstate__snapshot(vm, dir, stop, out, outlen);
	}
	snprintf(out, outlen, "unknown request '%.64s'", req);
	return VMM_ERR_INPUT;
}

void api__serve(struct vm *vm, int listen_fd)
{
	char req[API_LINE_MAX], out[1024];
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	int status;

	if (fd < 0)
		return;
	if (read_line(fd, req, sizeof(req), API_TIMEOUT_MS) == 0) {
		status = run_request(vm, req, out, sizeof(out));
		reply(fd, status, out);
	}
	close(fd);
}

/* ---- the client commands ---- */

int api__request(const char *path, const char *request)
{
	struct sockaddr_un addr;
	char line[API_LINE_MAX];
	int fd, status;

	if (make_addr(path, &addr))
		return VMM_ERR_INPUT;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		pr_err("--api-socket %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return VMM_ERR_INPUT;
	}
	if (dprintf(fd, "%s\n", request) < 0 || read_line(fd, line, sizeof(line), REPLY_TIMEOUT_MS) < 0) {
		pr_err("--api-socket %s: no reply", path);
		close(fd);
		return VMM_ERR_INTERNAL;
	}
	close(fd);
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
	const char *path, *dir;
	bool stop;
};

static int client_option(void *ctx, int id, char *arg, char *err, size_t errlen)
{
	struct client_args *a = ctx;

	switch (id) {
	case CLIENT_OPT_API_SOCKET: a->path = arg; break;
	case 'o': a->dir = arg; break;
	case CLIENT_OPT_STOP: a->stop = true; break;
	}
	return 0;
}

int api__client_main(int argc, char **argv)
{
	const char *cmd = argv[0];
	const struct command *command = commands__find(cmd);
	struct client_args a = { NULL, NULL, false };
	char request[API_LINE_MAX], err[256];
	const char *dir;
	bool stop, snapshot = !strcmp(cmd, "snapshot");
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
	dir = a.dir;
	stop = a.stop;
	if (snapshot) {
		char cwd[2048];

		/* The server's working directory is not ours: send an absolute path. */
		if (dir[0] != '/' && !getcwd(cwd, sizeof(cwd))) {
			pr_err("snapshot: cannot find the working directory: %s", strerror(errno));
			return VMM_ERR_INTERNAL;
		}
		snprintf(request, sizeof(request), "%s %s%s%s", stop ? "snapshot-stop" : "snapshot",
			 dir[0] == '/' ? "" : cwd, dir[0] == '/' ? "" : "/", dir);
	}
	else
		snprintf(request, sizeof(request), "%s", cmd);
	return api__request(a.path, request);
}
