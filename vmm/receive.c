/*
 * `vmm receive --listen ADDR`: the destination of a live migration
 * (docs/migration.md). It authenticates the sender (vmm/migrate-net.c),
 * runs the checks of `vmm restore --check` on the first sections before
 * taking any memory (restore__check), fills guest RAM as the pages come,
 * and on the commit builds the VM as `vmm restore` does (restore__build),
 * says so to the source, and runs it. A refusal creates nothing; a
 * corrupted or cut stream leaves nothing behind and ends with status 2.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/commands.h"
#include "vmm/migrate-net.h"
#include "vmm/migrate.h"
#include "vmm/migstream.h"
#include "vmm/restore.h"
#include "vmm/run.h"
#include "vmm/vm.h"

#define MSG_MAX 1024
#define RECV_BUF (256 * 1024)	/* the link is read in pieces of up to this */

struct receive_args {
	const char *listen, *auth_file;
	struct restore_opts o;
};

struct receiver {
	const struct receive_args *a;
	int fd;
	struct mignet_in in;		/* the link, read in large pieces */
	struct mig_reader r;
	struct mig_dest d;
	struct saved_vm checked;	/* the check batch */
	struct saved_vm s;		/* the final batch */
	uint8_t *ram;			/* until the VM owns it */
	uint64_t ram_size;
	double commit_ms;
};

static int receive_option(void *ctx, int id, char *arg, char *err, size_t errlen)
{
	struct receive_args *a = ctx;

	switch (id) {
	case 'd': return restore__disk_option(&a->o.backing, arg, err, errlen);
	case 'n': return restore__net_option(&a->o.backing, arg, err, errlen);
	case RECEIVE_OPT_LISTEN: a->listen = arg; break;
	case RECEIVE_OPT_AUTH_FILE: a->auth_file = arg; break;
	case RESTORE_OPT_API_SOCKET: a->o.api_socket = arg; break;
	case RESTORE_OPT_DEBUG: a->o.debug = true; break;
	case RESTORE_OPT_SECCOMP: return seccomp__parse_mode(arg, &a->o.seccomp, err, errlen);
	case RESTORE_OPT_KSM: a->o.ksm = true; break;
	default:
		set_err(err, errlen, "receive: option id %#x has no parser", id);
		return -VMM_ERR_INTERNAL;
	}
	return 0;
}

/* The answer to the source: status 0 yes, else the refusal's one line. */
static void reply(struct receiver *rc, int status, const char *text)
{
	struct pbuf p, b;

	pbuf__init(&p);
	pbuf__init(&b);
	pbuf__put_u32(&p, (uint32_t)status);
	pbuf__put_str(&p, text);
	mig__put_section(&b, MIG_SEC_REPLY, 0, 1, p.data, p.len);
	if (b.failed || mignet__send(rc->fd, b.data, b.len))
		pr_debug("receive: the source left before the answer");
	pbuf__free(&p);
	pbuf__free(&b);
}

static int read_link(void *ctx, void *buf, size_t n)
{
	return mignet__read(ctx, buf, n) ? -1 : 0;
}

/* The batch just completed, parsed as a snapshot's state into s->snap. */
static int take_batch(struct receiver *rc, struct saved_vm *s, char *err, size_t errlen)
{
	uint8_t *state;
	size_t len;
	int ret = mig_dest__state(&rc->d, &state, &len);

	if (ret)
		return ret;
	ret = snap__parse(state, len, &s->snap, err, errlen);
	free(state);
	return ret;
}

/* The check batch: the checks of `vmm restore --check`, then RAM for the pages. */
static int on_check(struct receiver *rc, char *err, size_t errlen)
{
	int ret = take_batch(rc, &rc->checked, err, errlen);

	ret = ret ? ret : restore__check(&rc->checked, &rc->a->o.backing, err, errlen);
	if (!ret) {
		rc->ram_size = rc->checked.cfg.ram_size;
		rc->ram = vm__map_ram(rc->ram_size);
		if (!rc->ram) {
			snprintf(err, errlen, "cannot map %llu MiB of guest memory",
				 (unsigned long long)(rc->ram_size >> 20));
			ret = -VMM_ERR_HOST;
		}
	}
	if (ret) {
		reply(rc, -ret, err);
		return ret;
	}
	mig_dest__set_ram(&rc->d, rc->ram, arch__ram_base(), rc->ram_size);
	reply(rc, 0, "yes");
	pr_debug("receive: checked; memory follows");
	return 0;
}

static bool same_section(const struct snap_reader *a, const struct snap_reader *b, uint32_t id)
{
	const struct snap_section *x = snap__find(a, id, 0), *y = snap__find(b, id, 0);

	return x && y && x->len == y->len && !memcmp(x->data, y->data, x->len);
}

/* The final batch: the VM checked is the VM sent. */
static int on_commit(struct receiver *rc, char *err, size_t errlen)
{
	int ret;

	rc->commit_ms = vmm_uptime_ms();
	pr_debug("receive: commit");
	ret = take_batch(rc, &rc->s, err, errlen);
	ret = ret ? ret : restore__read(&rc->s, &rc->a->o.backing, err, errlen);
	if (!ret && (!same_section(&rc->s.snap, &rc->checked.snap, SNAP_SEC_CONFIG) ||
		     !same_section(&rc->s.snap, &rc->checked.snap, SNAP_SEC_DEVICES))) {
		snprintf(err, errlen, "stream: the final config or devices differ from the checked ones");
		ret = -VMM_ERR_INPUT;
	}
	return ret;
}

/* Reads the stream up to the commit. */
static int receive_stream(struct receiver *rc, char *err, size_t errlen)
{
	struct mig_section sec;
	double read_ms = 0, take_ms = 0;
	int ret;

	mignet_in__init(&rc->in, rc->fd, RECV_BUF);
	mig_reader__init(&rc->r, read_link, &rc->in);
	mig_dest__init(&rc->d);
	ret = mig__read_header(&rc->r, err, errlen);
	while (!ret) {
		double t0 = vmm_uptime_ms(), t1;

		ret = mig__read_section(&rc->r, &sec, err, errlen);
		t1 = vmm_uptime_ms();
		read_ms += t1 - t0;
		if (!ret)
			ret = mig_dest__take(&rc->d, &sec, err, errlen);
		take_ms += vmm_uptime_ms() - t1;
		if (!ret && sec.id == MIG_SEC_ROUND) {
			pr_debug("receive: round %llu: %llu pages so far (%.1f ms reading, %.1f ms "
				 "taking)", (unsigned long long)rc->d.rounds,
				 (unsigned long long)rc->d.pages, read_ms, take_ms);
			read_ms = take_ms = 0;
		}
		if (ret == MIG_EV_CHECK) {
			ret = on_check(rc, err, errlen);
			if (ret)
				return ret;	/* answered */
		} else if (ret == MIG_EV_COMMIT) {
			ret = on_commit(rc, err, errlen);
			break;
		}
	}
	if (ret)
		reply(rc, -ret, err);	/* the source resumes the VM */
	return ret;
}

static int build_and_run(struct receiver *rc, struct vm *vm)
{
	struct vm_config cfg;
	int ret;

	pr_debug("receive (commit +%.1f ms): final batch read", vmm_uptime_ms() - rc->commit_ms);
	restore__config(&rc->s.cfg, &rc->a->o, &cfg);
	ret = vm__prepare(vm, &cfg);
	ret = ret ? ret : kvm__open(vm);
	ret = ret ? ret : restore__build(vm, &rc->s, rc->ram, false);
	pr_debug("receive (commit +%.1f ms): VM built", vmm_uptime_ms() - rc->commit_ms);
	if (vm->ram)
		rc->ram = NULL;		/* the VM owns it now */
	if (ret) {
		reply(rc, -ret, "the destination could not build the VM (its log says why)");
		vm__teardown(vm);
		return ret;
	}
	if (rc->d.commit_flags & MIG_COMMIT_ADVANCE_CLOCK)
		arch__advance_time(vm, rc->d.paused_ns +
				   (uint64_t)((vmm_uptime_ms() - rc->commit_ms) * 1e6));
	reply(rc, 0, "running");
	pr_debug("receive (commit +%.1f ms): %llu pages in %llu rounds, %llu bytes; running",
		 vmm_uptime_ms() - rc->commit_ms,
		 (unsigned long long)rc->d.pages, (unsigned long long)rc->d.rounds,
		 (unsigned long long)rc->r.bytes);
	close(rc->fd);
	rc->fd = -1;
	return 0;
}

static void receiver_free(struct receiver *rc)
{
	if (rc->fd >= 0)
		close(rc->fd);
	mig_reader__free(&rc->r);
	mignet_in__free(&rc->in);
	mig_dest__free(&rc->d);
	restore__free(&rc->checked);
	restore__free(&rc->s);
	if (rc->ram)
		munmap(rc->ram, rc->ram_size);
	rc->ram = NULL;
}

/* Waits for one authenticated sender; refused ones are logged and waited past. */
static int accept_sender(const struct receive_args *a, int *fd)
{
	struct mig_secret secret = { 0 };
	struct mig_addr addr;
	char err[MSG_MAX];
	int lfd, ret;

	ret = mignet__parse_addr(a->listen, &addr, err, sizeof(err));
	if (!ret && !addr.tcp && a->auth_file)
		ret = mignet__read_secret(a->auth_file, &secret, err, sizeof(err));
	if (!ret && addr.tcp && !a->auth_file) {
		set_err(err, sizeof(err), "--listen %s: tcp needs --auth-file (a shared secret)",
			a->listen);
		ret = -VMM_ERR_INPUT;
	} else if (!ret && addr.tcp) {
		ret = mignet__read_secret(a->auth_file, &secret, err, sizeof(err));
	}
	if (ret) {
		pr_err("%s", err);
		return ret;
	}
	lfd = mignet__listen(&addr, err, sizeof(err));
	if (lfd < 0) {
		pr_err("%s", err);
		return lfd;
	}
	pr_debug("receive: listening on %s", addr.text);
	do {
		ret = mignet__accept(lfd, &addr, &secret, err, sizeof(err));
		if (ret == -EAGAIN)
			pr_err("receive: %s", err);
	} while (ret == -EAGAIN);
	close(lfd);
	if (!addr.tcp)
		unlink(((struct sockaddr_un *)&addr.sa)->sun_path);
	memset(&secret, 0, sizeof(secret));
	if (ret < 0) {
		pr_err("receive: %s", err);
		return ret;
	}
	*fd = ret;
	return 0;
}

int receive__main(int argc, char **argv)
{
	struct receive_args a = { 0 };
	struct receiver rc = { .a = &a, .fd = -1 };
	struct vm vm = { .kvm_fd = -1, .vm_fd = -1 };
	char err[MSG_MAX] = "";
	uint32_t flags;
	int first, ret;

	rc.checked.memory_fd = rc.s.memory_fd = -1;
	ret = cmdline__parse(&commands__receive, argc, argv, receive_option, &a, &first, err,
			     sizeof(err));
	if (ret == CMDLINE_HELP) {
		cmdline__print_help(&commands__receive, stdout);
		return 0;
	}
	if (ret) {
		pr_err("%s", err);
		return -ret;
	}
	vmm_debug = vmm_debug || a.o.debug;
	ret = accept_sender(&a, &rc.fd);
	if (ret)
		return -ret;
	ret = receive_stream(&rc, err, sizeof(err));
	if (ret) {
		pr_err("receive: %s", err);
		receiver_free(&rc);
		return -ret;
	}
	ret = build_and_run(&rc, &vm);
	flags = rc.d.commit_flags;
	receiver_free(&rc);
	if (ret)
		return -ret;
	/* a VM the user had paused (vmm pause) stays paused until vmm resume */
	return vm__run_until_stop(&vm, flags & MIG_COMMIT_PAUSED);
}
