/*
 * `vmm exec`: packs the initramfs (vmm/exec-plan.c), boots it with the
 * exit doorbell and two more UARTs for stdout and stderr, and exits with
 * the status the guest's init reported. --each-vl runs one VM per vector
 * length, each in a child process (the devices are per process), --jobs
 * of them at a time.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmm/commands.h"
#include "vmm/cpio.h"
#include "vmm/devices.h"
#include "vmm/exec-status.h"
#include "vmm/exec.h"
#include "vmm/run.h"
#include "vmm/util.h"

#define MAX_VLS		16
#define LINE_MAX_KEPT	160

/* build/exec-init, linked in by exec/init-blob.S. */
extern const uint8_t exec_init_start[], exec_init_end[];

/* The kernel console's output: shown with --debug, its last line kept. */
struct console_tail {
	bool show;
	char line[LINE_MAX_KEPT], last[LINE_MAX_KEPT];
	size_t len;
};

static void console_out(void *ctx, const void *buf, size_t len)
{
	struct console_tail *t = ctx;
	const char *p = buf;

	if (t->show && write(STDERR_FILENO, buf, len) < 0)
		t->show = false;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\n') {
			if (t->len) {
				t->line[t->len] = 0;
				memcpy(t->last, t->line, t->len + 1);
			}
			t->len = 0;
		} else if (p[i] != '\r' && t->len < LINE_MAX_KEPT - 1) {
			t->line[t->len++] = (p[i] >= ' ' && p[i] < 127) ? p[i] : '?';
		}
	}
}

/* Waits for stdin until the deadline (0: none); -ETIME when it passed. */
static int wait_stdin(double deadline_ms)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	double left;
	int n;

	if (!deadline_ms)
		return 0;
	do {
		left = deadline_ms - vmm_uptime_ms();
		n = left > 0 ? poll(&pfd, 1, (int)left + 1) : 0;
	} while (n < 0 && errno == EINTR);
	return n == 0 ? -ETIME : 0;
}

/*
 * stdin, when it is not a terminal, read to its end (at most max bytes),
 * before the deadline: a CI job whose stdin stays open without a writer
 * still ends with --timeout.
 */
static int read_stdin(uint8_t **data, size_t *len, size_t max, double deadline_ms)
{
	size_t cap = 0;

	*data = NULL;
	*len = 0;
	if (isatty(STDIN_FILENO) || fcntl(STDIN_FILENO, F_GETFD) < 0)
		return 0;
	for (;;) {
		ssize_t n;

		if (*len == cap) {
			uint8_t *p;

			if (cap > max)
				return -EFBIG;
			cap = cap ? 2 * cap : 65536;
			p = realloc(*data, cap);
			if (!p)
				return -ENOMEM;
			*data = p;
		}
		if (wait_stdin(deadline_ms))
			return -ETIME;
		n = read(STDIN_FILENO, *data + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	if (*len > max)
		return -EFBIG;
	if (!*len) {	/* empty: still an end of input where the program expects one */
		free(*data);
		*data = malloc(1);
	}
	return *data ? 0 : -ENOMEM;
}

/* Everything the VM needs but the VL set: the packed initramfs and the kernel. */
struct exec_plan {
	struct exec_request req;
	char kernel[4096];
	struct cpio initramfs;
	uint64_t key;
};

static int pack(struct exec_plan *p)
{
	struct exec_pack in = {
		.init = exec_init_start, .init_len = (size_t)(exec_init_end - exec_init_start),
		.sysroot = "", .path_env = getenv("PATH"),
	};
	size_t max_stdin = (p->req.vm.ram_mib << 20) / 4;
	struct device_place db;
	uint8_t *data;
	char err[1024];
	double t0 = vmm_uptime_ms();
	int ret;

	ret = read_stdin(&data, &in.stdin_len, max_stdin, p->req.timeout_s * 1000.0);
	if (ret == -ETIME) {
		pr_err("exec: the timeout of %u s passed while reading stdin (give </dev/null when there is none)",
		       p->req.timeout_s);
		free(data);
		return EXEC_RC_TIMEOUT;
	}
	if (ret) {
		pr_err("exec: stdin: %s", ret == -EFBIG ?
		       "larger than a quarter of the guest's memory (give more with -m)" : strerror(-ret));
		free(data);
		return EXEC_RC_VMM;
	}
	in.stdin_data = data;
	if (getrandom(&p->key, sizeof(p->key), 0) != sizeof(p->key) ||
	    arch__device_place(DEVICE_EXEC_DOORBELL, 0, &db)) {
		pr_err("exec: cannot make the exit doorbell's key: %s", strerror(errno));
		free(data);
		return EXEC_RC_VMM;
	}
	in.doorbell = db.base;
	in.key = p->key;
	cpio__init(&p->initramfs, 1u << 30);
	ret = exec__build_initramfs(&p->req, &in, &p->initramfs, err, sizeof(err));
	free(data);
	if (ret) {
		pr_err("%s", err);
		return ret;
	}
	pr_debug("exec: initramfs of %zu bytes, %u entries, built in %.1f ms", p->initramfs.len,
		 p->initramfs.nr_entries, vmm_uptime_ms() - t0);
	return 0;
}

/* --debug: where the time from vmm's start to the program's end went. */
static void debug_phases(double t0, const struct exec_vm *ex)
{
	double end = vmm_uptime_ms();

	if (!ex->vm_ready_ms || !ex->program_start_ms) {
		pr_debug("exec: the VM ended %.1f ms after vmm's start, the program never started", end);
		return;
	}
	pr_debug("exec: phases: before the VM %.1f ms (initramfs included), VM setup %.1f ms, "
		 "guest boot %.1f ms, program and power-off %.1f ms; %.1f ms in all", t0,
		 ex->vm_ready_ms - t0, ex->program_start_ms - ex->vm_ready_ms,
		 end - ex->program_start_ms, end);
}

/*
 * One VM; returns vmm exec's status and prints its one-line reason. The
 * timeout counts from since (vmm_uptime_ms(): 0 is vmm's start).
 */
static int run_one(const struct exec_plan *p, const struct vm_config *base, const char *what,
		   double since)
{
	struct console_tail tail = { .show = base->debug };
	struct exec_doorbell db;
	struct exec_vm ex = {
		.initrd = p->initramfs.buf, .initrd_len = p->initramfs.len,
		.uart_fds = { STDOUT_FILENO, STDERR_FILENO },
		.console_out = console_out, .console_ctx = &tail,
		.deadline_status = EXEC_RC_TIMEOUT, .doorbell = &db,
	};
	struct vm_config cfg = *base;
	struct exec_result r = { 0 };
	double t0 = vmm_uptime_ms();
	char msg[512];
	int status;

	if (p->req.timeout_s)
		ex.deadline_ms = since + p->req.timeout_s * 1000.0;
	exec_doorbell__init(&db, p->key);
	cfg.kernel = p->kernel;
	cfg.exec = &ex;
	r.run_status = vmm__run(&cfg);
	r.timed_out = ex.deadline_ms && r.run_status == EXEC_RC_TIMEOUT &&
		      vmm_uptime_ms() >= ex.deadline_ms;
	r.have_word = exec_doorbell__status(&db, &r.word);
	r.last_console_line = tail.last[0] ? tail.last : NULL;
	debug_phases(t0, &ex);
	status = exec__outcome(&p->req, &r, msg, sizeof(msg));
	if (msg[0])
		pr_err("exec%s%s: %s", what[0] ? " " : "", what, msg);
	return status;
}

/* ---- --each-vl ---- */

struct vl_run {
	unsigned bits;
	pid_t pid;
	int out_fd, err_fd;	/* with --jobs > 1: its output, held until it ends */
	int status;
};

static void copy_out(int from, int to)
{
	char buf[65536];
	ssize_t n;

	if (from < 0)
		return;
	lseek(from, 0, SEEK_SET);
	while ((n = read(from, buf, sizeof(buf))) > 0)
		if (write(to, buf, (size_t)n) != n)
			break;
	close(from);
}

static void start_vl(const struct exec_plan *p, struct vl_run *v, bool hold)
{
	struct vm_config cfg = p->req.vm;
	char err[256], what[32];

	v->out_fd = hold ? memfd_create("vmm-exec-stdout", MFD_CLOEXEC) : -1;
	v->err_fd = hold ? memfd_create("vmm-exec-stderr", MFD_CLOEXEC) : -1;
	fflush(NULL);
	v->pid = fork();
	if (v->pid)
		return;
	if (hold && (dup2(v->out_fd, STDOUT_FILENO) < 0 || dup2(v->err_fd, STDERR_FILENO) < 0))
		_exit(EXEC_RC_VMM);
	if (arch__config_vl_upto(&cfg.arch, v->bits, err, sizeof(err))) {
		pr_err("exec: %s", err);
		_exit(EXEC_RC_VMM);
	}
	snprintf(what, sizeof(what), "VL %u", v->bits);
	_exit(run_one(p, &cfg, what, vmm_uptime_ms()));	/* each length its own timeout */
}

static void finish_vl(struct vl_run *v, int wstatus)
{
	v->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	copy_out(v->out_fd, STDOUT_FILENO);
	copy_out(v->err_fd, STDERR_FILENO);
	fprintf(stderr, "vmm: exec: VL %u: %s, status %d\n", v->bits,
		v->status ? "failed" : "passed", v->status);
}

static int wait_one(struct vl_run *runs, unsigned n)
{
	int wstatus;
	pid_t pid;

	while ((pid = wait(&wstatus)) < 0 && errno == EINTR)
		;
	for (unsigned i = 0; i < n; i++) {
		if (runs[i].pid == pid && pid > 0) {
			finish_vl(&runs[i], wstatus);
			runs[i].pid = 0;
			return 0;
		}
	}
	return -1;
}

static int summary(const struct vl_run *runs, unsigned n)
{
	char failed[256] = "";
	size_t len = 0;
	int first = 0;

	for (unsigned i = 0; i < n; i++) {
		if (!runs[i].status)
			continue;
		if (!first)
			first = runs[i].status;
		len += (size_t)snprintf(failed + len, sizeof(failed) - len, "%s%u",
					len ? ", " : "", runs[i].bits);
		if (len >= sizeof(failed))
			break;
	}
	if (first)
		pr_err("exec: failed at VL %s", failed);
	return first;
}

static int each_vl(const struct exec_plan *p)
{
	struct vl_run runs[MAX_VLS] = { { 0 } };
	unsigned bits[MAX_VLS], started = 0, running = 0;
	int n = arch__host_vector_lengths(bits, MAX_VLS);

	if (n < 0)
		return EXEC_RC_VMM;
	if (n == 0) {
		pr_err("exec: --each-vl: this host has no SVE vector lengths to run at");
		return EXEC_RC_VMM;
	}
	for (int i = 0; i < n; i++)
		runs[i].bits = bits[i];
	while (started < (unsigned)n || running) {
		if (started < (unsigned)n && running < p->req.jobs) {
			start_vl(p, &runs[started], p->req.jobs > 1);
			if (runs[started].pid < 0) {
				pr_err("exec: fork: %s", strerror(errno));
				runs[started].status = EXEC_RC_VMM;
				runs[started].pid = 0;
			} else {
				running++;
			}
			started++;
			continue;
		}
		if (wait_one(runs, (unsigned)n))
			break;
		running--;
	}
	return summary(runs, (unsigned)n);
}

int exec__main(int argc, char **argv)
{
	static struct exec_plan plan;
	struct utsname u;
	char err[1024];
	int ret = exec__parse(argc, argv, &plan.req, err, sizeof(err));

	if (ret == EXEC_PARSE_HELP) {
		cmdline__print_help(&commands__exec, stdout);
		return 0;
	}
	if (ret < 0) {
		pr_err("%s", err);
		return EXEC_RC_VMM;
	}
	vmm_debug = vmm_debug || plan.req.vm.debug;
	signal(SIGPIPE, SIG_IGN);	/* a reader that went away: its bytes are dropped */
	if (exec__choose_kernel(&plan.req, getenv("VMM_KERNEL"), uname(&u) ? NULL : u.release,
				plan.kernel, sizeof(plan.kernel), err, sizeof(err))) {
		pr_err("%s", err);
		return EXEC_RC_VMM;
	}
	ret = pack(&plan);
	if (!ret)
		ret = plan.req.each_vl ? each_vl(&plan) : run_one(&plan, &plan.req.vm, "", 0);
	cpio__free(&plan.initramfs);
	return ret;
}
