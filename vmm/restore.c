/*
 * `vmm restore DIR`: checks that this host can give exactly what the
 * snapshot needs before creating any KVM object of the VM, then rebuilds
 * it in the order KVM requires (docs/snapshot.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "vmm/commands.h"
#include "vmm/devices.h"
#include "vmm/restore.h"
#include "vmm/run.h"
#include "vmm/saved-open.h"
#include "vmm/snapchain.h"
#include "vmm/snapshot.h"
#include "vmm/vm.h"
#include "vmm/vmstate.h"

#define MSG_MAX 1024

struct restore_args {
	const char *dir;
	bool paused, check, copy_memory;
	struct restore_opts o;			/* -d, -n and the run options */
};


/*
 * The memory file a restored VM maps (MAP_PRIVATE): if it shrinks under
 * the VM, the pages past its end are gone. The guest's accesses then make
 * KVM_RUN fail with EFAULT (vmstate__memory_lost), vmm's own raise SIGBUS
 * (on_sigbus): either ends the VM with one line naming the file, status 1.
 * The file itself is left as it is.
 *
 * SIGBUS comes on whichever thread touched the lost page (a device's I/O
 * thread, the control socket's during a snapshot), and only the main
 * thread's seccomp filter allows the way out (the terminal's ioctl, the
 * socket's unlinkat): another thread writes the line and hands the rest to
 * the main thread with a SIGBUS of its own (tgkill, allowed everywhere).
 */
static struct {
	const char *path;
	int fd;
	uint8_t *ram;
	uint64_t size;
	pid_t main_tid;			/* the thread that ends the VM */
	const char *api_socket;		/* removed on the way out of on_sigbus */
	char msg[PATH_MAX + 128];	/* on_sigbus's line, made in advance */
	size_t msg_len;
	bool have_tio;			/* the terminal as it was before raw mode */
	struct termios tio;
	atomic_bool reported;		/* one line, whichever way the loss shows */
} mapped = { .fd = -1 };

bool vmstate__memory_lost(void)
{
	struct stat st;

	if (mapped.fd < 0 || fstat(mapped.fd, &st) < 0 || (uint64_t)st.st_size >= mapped.size)
		return false;
	if (!atomic_exchange(&mapped.reported, true))
		pr_err("memory %s: %llu bytes now, the VM maps %llu: it was truncated under the "
		       "running VM; stopping it", mapped.path, (unsigned long long)st.st_size,
		       (unsigned long long)mapped.size);
	return true;
}

/* On the main thread, from on_sigbus: the terminal, the socket, status 1. */
static void end_on_lost_page(void)
{
	/* Not term__restore(): it may wait for a lock the faulting thread holds. */
	if (mapped.have_tio)
		tcsetattr(STDIN_FILENO, TCSANOW, &mapped.tio);
	if (mapped.api_socket)
		unlink(mapped.api_socket);
	_exit(VMM_ERR_INTERNAL);
}

/* Only async-signal-safe calls: the line was formatted when the file was mapped. */
static void on_sigbus(int sig, siginfo_t *si, void *uctx)
{
	const struct timespec second = { .tv_sec = 1 };
	uint8_t *addr = si->si_addr;

	if (si->si_code == SI_TKILL && si->si_pid == getpid() && mapped.ram)
		end_on_lost_page();	/* handed over by the thread that faulted */
	if (!mapped.ram || addr < mapped.ram || addr >= mapped.ram + mapped.size) {
		signal(SIGBUS, SIG_DFL);	/* not ours: the fault recurs and kills */
		return;
	}
	if (!atomic_exchange(&mapped.reported, true) &&
	    write(STDERR_FILENO, mapped.msg, mapped.msg_len) < 0)
		(void)0;	/* nothing better to do in a signal handler */
	if (gettid() == mapped.main_tid)
		end_on_lost_page();
	tgkill(getpid(), mapped.main_tid, SIGBUS);
	for (;;)	/* returning would fault again; the main thread ends vmm */
		nanosleep(&second, NULL);
}

/* On the main thread, which on_sigbus hands the VM's end to. */
static void watch_mapped_memory(const char *path, int fd, uint8_t *ram, uint64_t size)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
	int n;

	mapped.path = path;
	mapped.fd = fd;
	mapped.ram = ram;
	mapped.size = size;
	mapped.main_tid = gettid();
	n = snprintf(mapped.msg, sizeof(mapped.msg), "vmm: memory %s: a page of it is gone (the "
		     "file was truncated under the running VM); stopping it\n", path);
	mapped.msg_len = n > 0 && (size_t)n < sizeof(mapped.msg) ? (size_t)n : 0;
	/* before the run loop puts the terminal in raw mode */
	mapped.have_tio = isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &mapped.tio);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

/* The memory file stays open (and its path kept) while a VM maps it. */
void restore__free(struct saved_vm *s)
{
	arch__free_saved(&s->arch);
	snapchain__free_links(&s->links);
	snap__close(&s->snap);
	if (s->memory_fd >= 0 && s->memory_fd != mapped.fd)
		close(s->memory_fd);
	if (s->memory_path != mapped.path)
		free(s->memory_path);
	s->memory_fd = -1;
	s->memory_path = NULL;
}

/* ---- reading the snapshot: corruption is bad input (2) ---- */

/*
 * The full snapshot's memory file, kept open while the VM runs
 * (vmstate__memory_lost looks at it); each increment's is opened here once
 * to check it, and again when it is laid over the memory.
 */
static int open_memory_file(struct saved_vm *s, char *err, size_t errlen)
{
	unsigned full = s->links.nr - 1;
	int fd;

	for (unsigned i = 0; i < full; i++) {
		fd = snapchain__open_memory(&s->links, i, s->cfg.ram_size, err, errlen);
		if (fd < 0)
			return fd;
		close(fd);
	}
	s->memory_path = snap__memory_path(s->links.link[full].dir);
	if (!s->memory_path)
		return -VMM_ERR_INTERNAL;
	s->memory_fd = snapchain__open_memory(&s->links, full, s->cfg.ram_size, err, errlen);
	return s->memory_fd < 0 ? s->memory_fd : 0;
}

/* The sections restore reads, and the disks and taps b names (or the snapshot's). */
int restore__read(struct saved_vm *s, const struct restore_backing *b, char *err, size_t errlen)
{
	char boot_id[40];
	int ret;

	saved_open__boot_id(boot_id, sizeof(boot_id));
	ret = vmstate__parse_config(&s->snap, &s->cfg, err, errlen);
	if (!ret)
		ret = arch__read_saved(&s->snap, &s->cfg, &s->arch, err, errlen);
	if (!ret)
		ret = devcfg__expect(&s->cfg.dev, b, boot_id, err, errlen);
	/* a snapshot directory's chain of bases (a migrating VM has none) */
	if (!ret && s->snap.dir)
		ret = snapchain__follow(&s->snap, s->cfg.ram_size, &s->links, err, errlen);
	if (!ret)
		ret = devcfg__check_disks(&s->cfg.dev, err, errlen);
	return ret;
}

/* `--check`: an increment's bases, down to the full snapshot. */
static void print_chain(const struct snap_links *l)
{
	for (unsigned i = 1; i < l->nr; i++) {
		printf("base %u: ", i);
		fput_printable(l->link[i].dir, stdout);
		printf(l->link[i].chain.depth ? " (increment %u)\n" : " (full)\n",
		       l->link[i].chain.depth);
	}
}

/* `--check`: the disks and taps in the order -d and -n name them. */
static void print_backing(const struct saved_devices *d)
{
	for (unsigned i = 0; i < d->nr_disks; i++)
		printf("disk %u: %s%s (%llu bytes)\n", i, d->disks[i].path,
		       d->disks[i].ro ? ",ro" : "", (unsigned long long)d->disks[i].size);
	for (unsigned i = 0; i < d->nr_nets; i++)
		printf("net %u: tap=%s\n", i, d->nets[i].tap);
}

/* ---- can this host give it? (3 when not) ---- */

static int check_host(struct vm *vm, const struct saved_vm *s, char *err, size_t errlen)
{
	int max = kvm__check_cap(vm, KVM_CAP_MAX_VCPUS);

	if (max > 0 && (int)s->cfg.nr_vcpus > max) {
		snprintf(err, errlen, "saved %u vcpus; this host's limit is %d", s->cfg.nr_vcpus,
			 max);
		return -VMM_ERR_HOST;
	}
	/* the IPA size, the VL set, the vcpu features and ID registers */
	return arch__restore_check(vm, &s->cfg, &s->arch, err, errlen);
}

/*
 * The checks of `vmm restore --check`, also what `vmm receive` runs on the
 * sections a migrating VM sends before its memory: one function, so the
 * two never differ. On its own /dev/kvm fd, before the VM exists.
 */
int restore__check(struct saved_vm *s, const struct restore_backing *b, char *err,
		   size_t errlen)
{
	struct vm probe = { .kvm_fd = -1, .vm_fd = -1 };
	int ret = restore__read(s, b, err, errlen);

	if (!ret)
		ret = kvm__open(&probe);
	if (!ret)
		ret = check_host(&probe, s, err, errlen);
	if (probe.kvm_fd >= 0)
		close(probe.kvm_fd);
	return ret;
}

/* ---- building the VM ---- */

/*
 * Maps the memory file copy-on-write (or reads it, --copy-memory) at
 * RAM_BASE, from the fd open_memory_file checked.
 */
static int map_memory(struct vm *vm, const char *path, int fd, uint64_t size, bool copy)
{
	void *ram;
	int err = 0;

	if (copy) {
		err = vm__setup_ram(vm, size);
		for (uint64_t done = 0; !err && done < size;) {
			ssize_t n = pread(fd, vm->ram + done, size - done, (off_t)done);

			if (n <= 0)
				err = -VMM_ERR_INPUT;
			done += n > 0 ? (uint64_t)n : 0;
		}
	} else {
		ram = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, fd, 0);
		err = ram == MAP_FAILED ? -VMM_ERR_INTERNAL : vm__register_ram(vm, ram, size);
		if (!err)
			watch_mapped_memory(path, fd, ram, size);
	}
	if (err)
		pr_err("memory %s: cannot load it", path);
	return err;
}

/* An increment's pages over the full snapshot's (copy-on-write when mapped). */
static int apply_increments(struct vm *vm, const struct saved_vm *s, char *err, size_t errlen)
{
	double start = vmm_uptime_ms();
	int ret;

	if (s->links.nr < 2)
		return 0;
	ret = snapchain__apply(&s->links, vm->ram, vm->ram_size, err, errlen);
	if (!ret)
		pr_debug("%u increments laid over %s in %.1f ms", s->links.nr - 1,
			 s->links.link[s->links.nr - 1].dir, vmm_uptime_ms() - start);
	return ret;
}

/* Steps 1-6 of docs/snapshot.md. */
int restore__build(struct vm *vm, struct saved_vm *s, void *ram, bool copy_memory)
{
	char err[MSG_MAX] = "";
	int ret;

	vm->restoring = true;
	arch__restore_prepare(vm, &s->cfg.arch);
	ret = vm__create(vm, s->cfg.ipa_bits);
	if (!ret && ram)
		ret = vm__register_ram(vm, ram, s->cfg.ram_size);
	else if (!ret)
		ret = map_memory(vm, s->memory_path, s->memory_fd, s->cfg.ram_size, copy_memory);
	ret = ret ? ret : apply_increments(vm, s, err, sizeof(err));
	ret = ret ? ret : arch__vm_init(vm);
	if (!ret)
		pr_debug("restore: VM created, memory registered, irqchip made");
	/* INIT, then VLS, then FINALIZE, per vcpu (arch__vcpu_init) */
	ret = ret ? ret : vcpu__create_all(vm, s->cfg.nr_vcpus);
	ret = ret ? ret : arch__vm_finish(vm);
	if (!ret)
		pr_debug("restore: %u vcpus created", s->cfg.nr_vcpus);
	/* every register but VLS, then mp_state; the saved counter; the GIC */
	ret = ret ? ret : arch__restore_state(vm, &s->arch, err, sizeof(err));
	if (!ret)
		pr_debug("restore: vcpu registers and GIC restored");
	ret = ret ? ret : devices__init(vm);
	ret = ret ? ret : devices__restore(vm, &s->snap, err, sizeof(err));
	if (!ret)
		pr_debug("restore: devices restored");
	if (ret && err[0])
		pr_err("%s: %s", s->snap.dir ? s->snap.dir : "migrated VM", err);
	return ret;
}

void restore__config(const struct vm_saved_config *c, const struct restore_opts *a,
		     struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->name = c->name[0] ? c->name : "vmm";
	cfg->api_socket = a->api_socket;
	cfg->nr_cpus = c->nr_vcpus;
	cfg->ram_mib = c->ram_size >> 20;
	cfg->ipa_bits = c->ipa_bits;
	arch__config_from_saved(&c->arch, &cfg->arch);
	cfg->testdev = c->testdev;
	cfg->debug = a->debug;
	cfg->seccomp = a->seccomp;
	cfg->ksm = a->ksm;
	cfg->cmdline = "";
	devcfg__to_config(&c->dev, cfg);
}

/* -d PATH[,ro]: the path is made absolute and canonical, as `vmm run` does. */
int restore__disk_option(struct restore_backing *b, char *arg, char *err, size_t errlen)
{
	size_t len = strlen(arg);
	struct disk_config *d;
	char *path;

	if (b->nr_disks == VMM_MAX_DISKS) {
		set_err(err, errlen, "-d %s: at most %d disks", arg, VMM_MAX_DISKS);
		return -VMM_ERR_INPUT;
	}
	d = &b->disks[b->nr_disks];
	d->ro = len >= 3 && !strcmp(arg + len - 3, ",ro");
	if (d->ro)
		arg[len - 3] = '\0';
	path = realpath(arg, NULL);
	if (!path) {
		set_err(err, errlen, "-d %s: %s", arg, strerror(errno));
		return -VMM_ERR_INPUT;
	}
	d->path = path;		/* for the life of the process */
	b->nr_disks++;
	return 0;
}

/* -n tap=NAME: the MAC is the snapshot's, as the guest knows it. */
int restore__net_option(struct restore_backing *b, char *arg, char *err, size_t errlen)
{
	if (b->nr_nets == VMM_MAX_NETS) {
		set_err(err, errlen, "-n %s: at most %d network devices", arg, VMM_MAX_NETS);
		return -VMM_ERR_INPUT;
	}
	if (strncmp(arg, "tap=", 4) || !arg[4] || strchr(arg, ',')) {
		set_err(err, errlen, "-n %s: expected tap=NAME (the MAC is the snapshot's)", arg);
		return -VMM_ERR_INPUT;
	}
	b->taps[b->nr_nets++] = arg + 4;
	return 0;
}

static int restore_option(void *ctx, int id, char *arg, char *err, size_t errlen)
{
	struct restore_args *a = ctx;

	switch (id) {
	case 'd': return restore__disk_option(&a->o.backing, arg, err, errlen);
	case 'n': return restore__net_option(&a->o.backing, arg, err, errlen);
	case RESTORE_OPT_API_SOCKET: a->o.api_socket = arg; break;
	case RESTORE_OPT_PAUSED: a->paused = true; break;
	case RESTORE_OPT_CHECK: a->check = true; break;
	case RESTORE_OPT_COPY_MEMORY: a->copy_memory = true; break;
	case RESTORE_OPT_DEBUG: a->o.debug = true; break;
	case RESTORE_OPT_SECCOMP: return seccomp__parse_mode(arg, &a->o.seccomp, err, errlen);
	case RESTORE_OPT_KSM: a->o.ksm = true; break;
	default:
		set_err(err, errlen, "restore: option id %#x has no parser", id);
		return -VMM_ERR_INTERNAL;
	}
	return 0;
}

/* Returns 0, 1 when the help was printed, or -VMM_ERR_INPUT. */
static int parse_args(int argc, char **argv, struct restore_args *a)
{
	char err[256];
	int first, ret;

	memset(a, 0, sizeof(*a));
	ret = cmdline__parse(&commands__restore, argc, argv, restore_option, a, &first, err,
			     sizeof(err));
	if (ret == CMDLINE_HELP) {
		cmdline__print_help(&commands__restore, stdout);
		return 1;
	}
	if (ret) {
		pr_err("%s", err);
		return ret;
	}
	a->dir = argv[first];
	return 0;
}

int restore__main(int argc, char **argv)
{
	struct restore_args a;
	struct saved_vm s = { .memory_fd = -1 };
	struct vm_config cfg;
	struct vm vm = { .kvm_fd = -1, .vm_fd = -1 };
	char err[MSG_MAX] = "";
	int ret = parse_args(argc, argv, &a);

	if (ret)
		return ret > 0 ? 0 : -ret;
	vmm_debug = vmm_debug || a.o.debug;
	ret = snap__open(a.dir, &s.snap, err, sizeof(err));
	ret = ret ? ret : restore__check(&s, &a.o.backing, err, sizeof(err));
	ret = ret ? ret : open_memory_file(&s, err, sizeof(err));
	if (ret || a.check) {
		if (ret && err[0])
			pr_err("snapshot %s: %s", a.dir, err);
		if (!ret) {
			printf("%s: this host can restore it\n", a.dir);
			print_chain(&s.links);
			print_backing(&s.cfg.dev);
		}
		restore__free(&s);
		return -ret;
	}
	pr_debug("snapshot %s checked", a.dir);
	restore__config(&s.cfg, &a.o, &cfg);
	ret = vm__prepare(&vm, &cfg);
	ret = ret ? ret : kvm__open(&vm);
	mapped.api_socket = a.o.api_socket;
	ret = ret ? ret : restore__build(&vm, &s, NULL, a.copy_memory);
	restore__free(&s);
	if (ret) {
		vm__teardown(&vm);
		return -ret;
	}
	pr_debug("restored; first KVM_RUN follows");
	return vm__run_until_stop(&vm, a.paused);
}
