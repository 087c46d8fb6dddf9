/*
 * The control socket's server (docs/api.md): it listens with mode 0600,
 * serves only root and vmm's own uid, and runs on a thread of its own, so
 * that no client can hold up the VM's main loop. The clients are in
 * vmm/api.c.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/api.h"
#include "vmm/seccomp.h"
#include "vmm/migrate.h"
#include "vmm/vm.h"
#include "vmm/vmstate.h"

#define API_CLIENTS_MAX	8		/* connections whose request is being read */
#define API_THREAD_STACK	(256 << 10)	/* see start_thread() */

int api_request_deadline_ms = 5000;

struct api_client {
	int fd;				/* -1: a free slot */
	size_t len;			/* bytes of line received */
	double deadline;		/* vmm_uptime_ms() by which the line must be whole */
	char line[API_LINE_MAX];
};

static struct api_server {
	struct vm *vm;
	int listen_fd;
	int wake_fd;			/* eventfd: api__close ends the thread */
	pthread_t thread;
	bool running;
	bool refusal_logged;
	struct api_client clients[API_CLIENTS_MAX];
} server = { .listen_fd = -1, .wake_fd = -1 };

static int make_addr(const char *what, const char *path, struct sockaddr_un *addr)
{
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(addr->sun_path)) {
		pr_err("%s %s: path longer than %zu bytes", what, path,
		       sizeof(addr->sun_path) - 1);
		return -VMM_ERR_INPUT;
	}
	strcpy(addr->sun_path, path);
	return 0;
}

int api__make_addr(const char *path, struct sockaddr_un *addr)
{
	return make_addr("--api-socket", path, addr);
}

/* A socket file nobody listens on is left over from a dead vmm: replace it. */
static int remove_stale(const char *what, const char *path, const struct sockaddr_un *addr)
{
	struct stat st;
	int fd, live;

	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		pr_err("%s %s: exists and is not a socket", what, path);
		return -VMM_ERR_INPUT;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	live = fd >= 0 && connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0;
	if (fd >= 0)
		close(fd);
	if (live) {
		pr_err("%s %s: another vmm is listening there", what, path);
		return -VMM_ERR_INPUT;
	}
	unlink(path);
	return 0;
}

/*
 * Binds with mode 0600 from the start (the umask decides a socket file's
 * mode), then sets it again explicitly. The peer check in accept_client()
 * is what decides; the mode keeps other users from connecting at all.
 */
static int bind_private(int fd, const struct sockaddr_un *addr)
{
	mode_t old = umask(0177);
	int err = bind(fd, (const struct sockaddr *)addr, sizeof(*addr));

	umask(old);
	if (!err)
		err = chmod(addr->sun_path, 0600);
	return err;
}

int api__listen(const char *path)
{
	return api__listen_as("--api-socket", path);
}

int api__listen_as(const char *what, const char *path)
{
	struct sockaddr_un addr;
	int fd, err;

	err = make_addr(what, path, &addr);
	if (!err)
		err = remove_stale(what, path, &addr);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind_private(fd, &addr) < 0 || listen(fd, API_CLIENTS_MAX) < 0) {
		pr_err("%s %s: %s", what, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -VMM_ERR_INPUT;
	}
	return fd;
}

enum api_frame api__frame(char *buf, size_t len, size_t size)
{
	char *nl = memchr(buf, '\n', len);

	if (!nl)
		return len >= size ? API_FRAME_TOO_LONG : API_FRAME_MORE;
	*nl = 0;
	if (strlen(buf) != (size_t)(nl - buf))
		return API_FRAME_BAD;
	return API_FRAME_LINE;
}

/* One line; a client that left gets nothing and never a SIGPIPE. */
static void reply(int fd, int status, const char *text)
{
	char line[API_LINE_MAX];
	int n;

	if (status)
		n = snprintf(line, sizeof(line), "error %d %s\n", status, text);
	else
		n = snprintf(line, sizeof(line), "ok%s%s\n", *text ? " " : "", text);
	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1, line[n - 1] = '\n';
	if (send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n)
		pr_debug("api: the client left before the reply (%s)", strerror(errno));
}

static bool is_paused(struct vm *vm)
{
	bool paused;

	pthread_mutex_lock(&vm->lock);
	paused = vm->pause_requested;
	pthread_mutex_unlock(&vm->lock);
	return paused;
}

/*
 * "snapshot-base[-stop] N BASE DIR": BASE is the N bytes after the space
 * (paths may hold spaces), then one space, then DIR.
 */
int api__parse_snapshot_base(char *req, const char **base, const char **dir, bool *stop)
{
	char *p, *end;
	unsigned long n;

	*stop = !strncmp(req, "snapshot-base-stop ", 19);
	p = req + (*stop ? 19 : 14);
	if (*p < '1' || *p > '9')
		return -1;
	n = strtoul(p, &end, 10);
	if (*end != ' ' || n >= API_LINE_MAX || strnlen(end + 1, n + 1) < n + 1 || end[1 + n] != ' ' ||
	    !end[2 + n])
		return -1;
	end[1 + n] = '\0';
	*base = end + 1;
	*dir = end + 2 + n;
	return 0;
}

static int snapshot_on_base(struct vm *vm, char *req, char *out, size_t outlen)
{
	const char *base, *dir;
	bool stop;

	if (api__parse_snapshot_base(req, &base, &dir, &stop)) {
		snprintf(out, outlen, "bad request: expected snapshot-base LENGTH BASE DIR");
		return VMM_ERR_INPUT;
	}
	return vmstate__snapshot_on(vm, dir, base, stop, out, outlen);
}

/*
 * Runs one request; the reply text goes to out. Returns a status. Only
 * this thread pauses, resumes and snapshots, so requests never overlap;
 * the vcpus meet them under vm->lock (vcpu.c).
 */
static int run_request(struct vm *vm, char *req, char *out, size_t outlen)
{
	out[0] = 0;
	if (migrate__busy() && strcmp(req, "status") && strcmp(req, "stop")) {
		snprintf(out, outlen, "a migration is running; only status and stop are served");
		return VMM_ERR_INPUT;
	}
	if (!strcmp(req, "pause"))
		return vmstate__pause(vm, out, outlen);
	if (!strcmp(req, "resume"))
		return vmstate__resume(vm, out, outlen);
	if (!strcmp(req, "stop")) {
		vm__request_stop(vm, VM_EXIT_POWEROFF);
		return 0;
	}
	if (!strcmp(req, "status")) {
		snprintf(out, outlen, "%s", is_paused(vm) ? "paused" : "running");
		return 0;
	}
	if (!strncmp(req, "snapshot ", 9) || !strncmp(req, "snapshot-stop ", 14)) {
		bool stop = req[8] == '-';
		const char *dir = req + (stop ? 14 : 9);

		return vmstate__snapshot(vm, dir, stop, out, outlen);
	}
	if (!strncmp(req, "snapshot-base ", 14) || !strncmp(req, "snapshot-base-stop ", 19))
		return snapshot_on_base(vm, req, out, outlen);
	snprintf(out, outlen, "unknown request '%.64s'", req);
	return VMM_ERR_INPUT;
}

static void drop_client(struct api_client *c)
{
	close(c->fd);
	c->fd = -1;
}

static void answer(struct api_client *c, int status, const char *text)
{
	reply(c->fd, status, text);
	drop_client(c);
}

/* Takes what the client sent; runs its request once the line is whole. */
static void read_client(struct api_server *s, struct api_client *c)
{
	ssize_t n = recv(c->fd, c->line + c->len, sizeof(c->line) - c->len, MSG_DONTWAIT);
	char out[1024], why[64];

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		drop_client(c);		/* gone before a whole line: nothing runs */
		return;
	}
	c->len += (size_t)n;
	switch (api__frame(c->line, c->len, sizeof(c->line))) {
	case API_FRAME_MORE:
		return;
	case API_FRAME_TOO_LONG:
		snprintf(why, sizeof(why), "request longer than %d bytes", API_LINE_MAX - 1);
		answer(c, VMM_ERR_INPUT, why);
		return;
	case API_FRAME_BAD:
		answer(c, VMM_ERR_INPUT, "request with a NUL byte");
		return;
	case API_FRAME_LINE:
		if (!strncmp(c->line, "migrate ", 8) && !migrate__busy()) {
			int status = migrate__request(s->vm, c->fd, c->line + 8, out, sizeof(out));

			if (!status) {
				c->fd = -1;	/* the migration thread answers and closes it */
				return;
			}
			answer(c, status, out);
			return;
		}
		answer(c, run_request(s->vm, c->line, out, sizeof(out)), out);
		return;
	}
}

bool api__peer_allowed(int fd, struct ucred *cred)
{
	socklen_t len = sizeof(*cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) < 0)
		return false;
	return cred->uid == 0 || cred->uid == geteuid();
}

static void refuse(struct api_server *s, int fd, const struct ucred *cred)
{
	char why[96];

	snprintf(why, sizeof(why), "uid %u may not use this socket", (unsigned)cred->uid);
	reply(fd, VMM_ERR_INPUT, why);
	close(fd);
	if (s->refusal_logged)
		return;
	s->refusal_logged = true;
	pr_err("api: refused a client with uid %u (pid %d): only root and uid %u may connect; "
	       "further refusals are not logged", (unsigned)cred->uid, (int)cred->pid,
	       (unsigned)geteuid());
}

static struct api_client *free_slot(struct api_server *s)
{
	for (unsigned i = 0; i < API_CLIENTS_MAX; i++)
		if (s->clients[i].fd < 0)
			return &s->clients[i];
	return NULL;
}

/* Called only with a free slot: while all are taken, clients wait in the backlog. */
static void accept_client(struct api_server *s, struct api_client *c)
{
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct ucred cred = { .uid = (uid_t)-1 };

	if (fd < 0)
		return;
	if (!api__peer_allowed(fd, &cred)) {
		refuse(s, fd, &cred);
		return;
	}
	c->fd = fd;
	c->len = 0;
	c->deadline = vmm_uptime_ms() + api_request_deadline_ms;
}

/* A request line must be whole within the deadline, however it trickles. */
static void expire_clients(struct api_server *s)
{
	double now = vmm_uptime_ms();
	char why[96];

	snprintf(why, sizeof(why), "no whole request line within %d ms", api_request_deadline_ms);
	for (unsigned i = 0; i < API_CLIENTS_MAX; i++)
		if (s->clients[i].fd >= 0 && now >= s->clients[i].deadline)
			answer(&s->clients[i], VMM_ERR_INPUT, why);
}

/* Milliseconds until the nearest deadline; -1 without clients. */
static int next_timeout(const struct api_server *s)
{
	double now = vmm_uptime_ms(), first = -1;

	for (unsigned i = 0; i < API_CLIENTS_MAX; i++)
		if (s->clients[i].fd >= 0 && (first < 0 || s->clients[i].deadline < first))
			first = s->clients[i].deadline;
	if (first < 0)
		return -1;
	return first <= now ? 0 : (int)(first - now) + 1;
}

static void *server_thread(void *arg)
{
	struct api_server *s = arg;
	struct pollfd fds[2 + API_CLIENTS_MAX];
	sigset_t all;

	sigfillset(&all);
	/* A fault in a snapshot's read of guest RAM must reach its handler. */
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGSEGV);
	pthread_sigmask(SIG_BLOCK, &all, NULL);	/* other signals are the main loop's */
	if (seccomp__enter(SECCOMP_THREAD_API)) {
		vm__request_stop(s->vm, VMM_ERR_INTERNAL);
		return NULL;
	}
	for (;;) {
		fds[0] = (struct pollfd){ .fd = s->wake_fd, .events = POLLIN };
		/*
		 * With every slot taken, new clients wait in the listen backlog
		 * until a slot frees: at most one deadline.
		 */
		fds[1] = (struct pollfd){ .fd = free_slot(s) ? s->listen_fd : -1, .events = POLLIN };
		for (unsigned i = 0; i < API_CLIENTS_MAX; i++)
			fds[2 + i] = (struct pollfd){ .fd = s->clients[i].fd, .events = POLLIN };
		if (poll(fds, 2 + API_CLIENTS_MAX, next_timeout(s)) < 0 && errno != EINTR) {
			pr_err("api: poll: %s", strerror(errno));
			break;
		}
		if (fds[0].revents)
			break;
		/* Lines that arrived during a long request are read before any expires. */
		for (unsigned i = 0; i < API_CLIENTS_MAX; i++)
			if (fds[2 + i].revents && s->clients[i].fd >= 0)
				read_client(s, &s->clients[i]);
		expire_clients(s);
		if ((fds[1].revents & POLLIN) && free_slot(s))
			accept_client(s, free_slot(s));
	}
	return NULL;
}

int api__start(struct vm *vm, int listen_fd)
{
	struct api_server *s = &server;
	int err;

	if (listen_fd < 0)
		return 0;
	s->vm = vm;
	s->listen_fd = listen_fd;
	s->refusal_logged = false;
	for (unsigned i = 0; i < API_CLIENTS_MAX; i++)
		s->clients[i].fd = -1;
	s->wake_fd = eventfd(0, EFD_CLOEXEC);
	if (s->wake_fd < 0) {
		pr_err("api: eventfd: %s", strerror(errno));
		return -VMM_ERR_INTERNAL;
	}
	/* Started now, before any seccomp filter forbids starting threads. */
	if (migrate__thread_start(vm)) {
		close(s->wake_fd);
		s->wake_fd = -1;
		return -VMM_ERR_INTERNAL;
	}
	err = start_thread(&s->thread, API_THREAD_STACK, server_thread, s);
	if (err) {
		pr_err("api: cannot start the control socket's thread: %s", strerror(err));
		close(s->wake_fd);
		s->wake_fd = -1;
		return -VMM_ERR_INTERNAL;
	}
	s->running = true;
	return 0;
}

/* Ends the thread (after the request it is running, if any). */
static void stop_server(struct api_server *s)
{
	uint64_t one = 1;

	if (!s->running)
		return;
	if (write(s->wake_fd, &one, sizeof(one)) != sizeof(one))
		pr_err("api: cannot wake the control socket's thread: %s", strerror(errno));
	pthread_join(s->thread, NULL);
	s->running = false;
	close(s->wake_fd);
	s->wake_fd = -1;
	for (unsigned i = 0; i < API_CLIENTS_MAX; i++)
		if (s->clients[i].fd >= 0)
			drop_client(&s->clients[i]);
}

void api__close(int listen_fd, const char *path)
{
	if (listen_fd < 0)
		return;
	migrate__thread_stop();		/* a migration before its commit fails: the VM resumes */
	if (server.listen_fd == listen_fd)
		stop_server(&server);
	server.listen_fd = -1;
	close(listen_fd);
	unlink(path);
}
