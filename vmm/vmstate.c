/* Pause, resume and snapshot of a running VM, driven by the control socket. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "vmm/devices.h"
#include "vmm/dirty.h"
#include "vmm/memsave.h"
#include "vmm/persist.h"
#include "vmm/snapchain.h"
#include "vmm/snapshot.h"
#include "vmm/vm.h"
#include "vmm/vmstate.h"

/* Vcpus first, so no guest request reaches a device that has stopped. */
static void pause_vm(struct vm *vm)
{
	vcpu__pause_all(vm);
	devices__pause(vm);
}

static void resume_vm(struct vm *vm)
{
	devices__resume(vm);
	vcpu__resume_all(vm);
}

int vmstate__pause(struct vm *vm, char *out, size_t outlen)
{
	pause_vm(vm);
	snprintf(out, outlen, "paused");
	return 0;
}

int vmstate__resume(struct vm *vm, char *out, size_t outlen)
{
	resume_vm(vm);
	snprintf(out, outlen, "running");
	return 0;
}

int vmstate__add_pbuf(struct snap_writer *w, uint32_t id, uint32_t instance, uint32_t version,
		      struct pbuf *b)
{
	int err = b->failed ? -ENOMEM : snap__add(w, id, instance, version, b->data, b->len);

	if (err)
		pr_err("snapshot: cannot add the %s section: %s", snap__section_name(id),
		       strerror(-err));
	pbuf__free(b);
	return err;
}

/*
 * The memory file (an increment's: only the pages it holds); with --debug,
 * what it took (make bench reads this line).
 */
static int save_memory(struct vm *vm, struct snap_writer *w, const struct snap_chain *c)
{
	struct memsave_stats st;
	double start = vmm_uptime_ms(), ms;
	int err = snap__write_memory_pages(w, vm->ram, vm->ram_size, c->held, &st);

	if (err) {
		pr_err("snapshot: cannot write the memory file: %s", strerror(-err));
		return err;
	}
	ms = vmm_uptime_ms() - start;
	if (c->depth)
		pr_debug("snapshot increment %u: %" PRIu64 " of %" PRIu64 " pages dirty",
			 c->depth, c->nr_held, c->pages);
	pr_debug("snapshot memory: %" PRIu64 " MiB of RAM, %.1f MB read (%s), %.1f MB written "
		 "in %u writes (%.1f ms of them), %.1f ms, %.0f MB/s written",
		 vm->ram_size >> 20, st.read / 1e6, st.pagemap ? "populated pages" : "every page",
		 st.written / 1e6, st.writes, st.write_ms, ms, ms > 0 ? st.written / 1e3 / ms : 0.0);
	return 0;
}

/* ---- the chain of incremental snapshots (docs/snapshot.md) ---- */

/*
 * The VM's latest snapshot while dirty tracking has run since it (one VM a
 * process; only the control socket's thread snapshots). pending holds the
 * pages collected from the dirty log that no written snapshot holds yet: a
 * snapshot that fails leaves them for the next one.
 */
static struct {
	bool have;
	uint8_t id[SNAP_ID_BYTES];
	uint32_t depth;
	uint64_t generation;	/* dirty__generation() then: another start breaks the chain */
	bool tracking;		/* the snapshot being written started tracking */
	uint64_t *pending;
	size_t words;
} latest;

static int collect_pending(struct vm *vm, char *msg, size_t msglen)
{
	size_t words = dirty__bitmap_words(vm);
	long n;

	if (!latest.pending) {
		latest.pending = calloc(words ? words : 1, sizeof(uint64_t));
		latest.words = words;
		if (!latest.pending) {
			snprintf(msg, msglen, "snapshot: out of memory");
			return VMM_ERR_INTERNAL;
		}
	}
	n = dirty__collect(vm, latest.pending);
	if (n < 0) {
		snprintf(msg, msglen, "snapshot: cannot read the dirty log: %s", strerror((int)-n));
		return VMM_ERR_INTERNAL;
	}
	return 0;
}

/* The id of the snapshot at base, from its state file. */
static int read_base_id(const char *base, uint64_t ram_size, uint8_t id[SNAP_ID_BYTES],
			char *msg, size_t msglen)
{
	struct vm_saved_config cfg;
	struct snap_reader r;
	struct snap_chain c;
	char err[512];
	int ret = snap__open(base, &r, err, sizeof(err));

	if (ret) {
		snprintf(msg, msglen, "--base %s: %s", base, err);
		return -ret;
	}
	ret = vmstate__parse_config(&r, &cfg, err, sizeof(err));
	if (!ret && cfg.ram_size != ram_size) {
		snap__close(&r);
		snprintf(msg, msglen, "--base %s: is not this VM's latest snapshot (it has %" PRIu64
			 " MiB of memory, this VM %" PRIu64 ")", base, cfg.ram_size >> 20,
			 ram_size >> 20);
		return VMM_ERR_INPUT;
	}
	if (!ret)
		ret = snapchain__read(&r, ram_size, &c, err, sizeof(err));
	snap__close(&r);
	if (ret) {
		snprintf(msg, msglen, "--base %s: %s", base,
			 ret == 1 ? "has no snapshot id (an older vmm's)" : err);
		return ret == -VMM_ERR_INTERNAL ? VMM_ERR_INTERNAL : VMM_ERR_INPUT;
	}
	memcpy(id, c.id, SNAP_ID_BYTES);
	snapchain__free(&c);
	return 0;
}

/* An increment on base, which must be the latest snapshot, with tracking unbroken since. */
static int plan_increment(struct vm *vm, const char *base, struct snap_chain *c, char *msg,
			  size_t msglen)
{
	uint8_t id[SNAP_ID_BYTES];
	int ret;

	if (!latest.have) {
		snprintf(msg, msglen, "--base %s: this VM has no snapshot to build on (take a full "
			 "snapshot, without --base, first)", base);
		return VMM_ERR_INPUT;
	}
	ret = read_base_id(base, vm->ram_size, id, msg, msglen);
	if (ret)
		return ret;
	if (memcmp(id, latest.id, SNAP_ID_BYTES)) {
		snprintf(msg, msglen, "--base %s: is not this VM's latest snapshot", base);
		return VMM_ERR_INPUT;
	}
	if (!dirty__tracking(vm) || dirty__generation(vm) != latest.generation) {
		snprintf(msg, msglen, "--base %s: dirty tracking was stopped or restarted since "
			 "(a migration): take a full snapshot", base);
		return VMM_ERR_INPUT;
	}
	if (latest.depth >= SNAP_CHAIN_MAX) {
		snprintf(msg, msglen, "--base %s: the chain has %d increments, the most it may: "
			 "take a full snapshot", base, SNAP_CHAIN_MAX);
		return VMM_ERR_INPUT;
	}
	c->depth = latest.depth + 1;
	memcpy(c->base_id, latest.id, SNAP_ID_BYTES);
	c->base_path = strdup(base);
	if (!c->base_path) {
		snprintf(msg, msglen, "snapshot: out of memory");
		return VMM_ERR_INTERNAL;
	}
	return 0;
}

/*
 * Takes the dirty log's pages into pending, once the GIC is saved (saving
 * it flushes its pending tables into guest memory); nothing after it writes
 * guest memory while the VM is paused (the devices were drained at the
 * pause, and saving them only reads). An increment holds the pending
 * pages; for a full snapshot, this empties the log, so the next increment
 * starts from here.
 */
static int take_pages(struct vm *vm, struct snap_chain *c)
{
	char msg[128];

	if (!c->depth && !latest.tracking)
		return 0;
	if (collect_pending(vm, msg, sizeof(msg))) {
		pr_err("%s", msg);
		return -EIO;
	}
	if (!c->depth)
		return 0;
	c->held = malloc(latest.words * sizeof(uint64_t) + 8);
	if (!c->held)
		return -ENOMEM;
	memcpy(c->held, latest.pending, latest.words * sizeof(uint64_t));
	c->nr_held = dirty__count(c->held, latest.words);
	return 0;
}

/*
 * A full snapshot: dirty tracking starts (or restarts) now, while the VM is
 * paused, so that the next increment holds every page written after it.
 */
static int plan_full(struct vm *vm, bool stop, char *msg, size_t msglen)
{
	/* a restart of our own loses nothing: what it had is in pending */
	bool ours = latest.have && dirty__generation(vm) == latest.generation;
	int err;

	latest.tracking = false;
	if (stop)
		return 0;	/* the VM ends: nothing to build on */
	err = dirty__start(vm);
	if (!err && ours)
		latest.generation = dirty__generation(vm);
	if (err) {
		pr_err("snapshot: no dirty tracking (%s): increments on this snapshot will be "
		       "refused", strerror(-err));
		return 0;
	}
	latest.tracking = true;
	return 0;
}

/*
 * Plans the snapshot: a random id; with base, an increment (2 when base is
 * not the VM's latest snapshot or the chain cannot go on), else a full one.
 */
static int plan_snapshot(struct vm *vm, const char *base, bool stop, struct snap_chain *c,
			 char *msg, size_t msglen)
{
	memset(c, 0, sizeof(*c));
	c->pages = vm->ram_size / DIRTY_PAGE_SIZE;
	c->nr_held = c->pages;
	if (getrandom(c->id, SNAP_ID_BYTES, 0) != SNAP_ID_BYTES) {
		snprintf(msg, msglen, "snapshot: getrandom: %s", strerror(errno));
		return VMM_ERR_INTERNAL;
	}
	c->base_path = strdup("");
	if (!c->base_path) {
		snprintf(msg, msglen, "snapshot: out of memory");
		return VMM_ERR_INTERNAL;
	}
	if (base) {
		free(c->base_path);
		c->base_path = NULL;
		return plan_increment(vm, base, c, msg, msglen);
	}
	return plan_full(vm, stop, msg, msglen);
}

/* The snapshot c is written: the pages it holds are no longer pending. */
static void chain_committed(struct vm *vm, const struct snap_chain *c)
{
	if (!c->depth && !latest.tracking) {
		latest.have = false;	/* nothing to build on */
		return;
	}
	latest.have = true;
	memcpy(latest.id, c->id, SNAP_ID_BYTES);
	latest.depth = c->depth;
	if (!c->depth)
		latest.generation = dirty__generation(vm);
	if (latest.pending)
		memset(latest.pending, 0, latest.words * sizeof(uint64_t));
}

static int save_chain(struct snap_writer *w, const struct snap_chain *c)
{
	struct pbuf b;

	pbuf__init(&b);
	snapchain__encode(c, &b);
	return vmstate__add_pbuf(w, SNAP_SEC_CHAIN, 0, SNAP_VER_CHAIN, &b);
}

/* The sections of a snapshot or a migration (c NULL: no chain, no pages taken). */
static int save_state(struct vm *vm, struct snap_writer *w, struct snap_chain *c)
{
	struct pbuf b;
	int err;

	pbuf__init(&b);
	vmstate__encode_config(vm, &b);
	err = vmstate__add_pbuf(w, SNAP_SEC_CONFIG, 0, SNAP_VER_CONFIG, &b);
	if (!err)
		err = arch__save_host(w);
	if (!err)
		err = arch__save_state(vm, w);	/* the vcpus, then the GIC */
	/* after the GIC, which may write guest memory; before the device sections */
	if (!err && c)
		err = take_pages(vm, c);
	if (!err && c)
		err = save_chain(w, c);
	if (!err) {
		pbuf__init(&b);
		err = devcfg__save(vm->cfg, &b);
		err = err ? err : vmstate__add_pbuf(w, SNAP_SEC_DEVICES, 0, SNAP_VER_DEVICES, &b);
		if (err)
			pbuf__free(&b);
	}
	if (!err)
		err = devices__save(vm, w);
	return err;
}

int vmstate__save_state(struct vm *vm, struct snap_writer *w)
{
	return save_state(vm, w, NULL);
}

static int save_all(struct vm *vm, struct snap_writer *w, struct snap_chain *c)
{
	int err = save_state(vm, w, c);

	return err ? err : save_memory(vm, w, c);
}

int vmstate__snapshot(struct vm *vm, const char *dir, bool stop, char *out, size_t outlen)
{
	return vmstate__snapshot_on(vm, dir, NULL, stop, out, outlen);
}

/*
 * Pauses the VM (unless it is paused), writes the snapshot (an increment on
 * base when base is not NULL), then resumes it, or ends it when asked to
 * stop. A failed snapshot leaves no DIR and the VM runs on.
 */
int vmstate__snapshot_on(struct vm *vm, const char *dir, const char *base, bool stop,
			 char *out, size_t outlen)
{
	bool was_paused = vm->pause_requested;
	struct snap_writer *w;
	struct snap_chain c;
	double start = vmm_uptime_ms();
	int err;

	/*
	 * Before the pause (the guest runs on meanwhile) and before the memory
	 * scan and dirty tracking: a boot-file block still going into RAM
	 * would be saved as zeros, its move never logged as dirty.
	 */
	if (arch__boot_settle(vm->boot)) {
		snprintf(out, outlen, "snapshot %s: the boot files could not be read into guest "
			 "RAM; the VM is stopping", dir);
		return VMM_ERR_INPUT;
	}
	if (!was_paused)
		pause_vm(vm);
	err = plan_snapshot(vm, base, stop, &c, out, outlen);
	if (err) {
		snapchain__free(&c);
		if (!was_paused)
			resume_vm(vm);
		return err;
	}
	err = snap__begin(dir, &w);
	if (err) {
		snprintf(out, outlen, "snapshot %s: %s", dir,
			 err == -EEXIST ? "already exists" : strerror(-err));
	} else {
		err = save_all(vm, w, &c);
		if (err) {
			/* The component that failed said why on vmm's stderr. */
			snap__abort(w);
			snprintf(out, outlen, "snapshot %s: saving failed; the VM's log says why", dir);
		} else if ((err = snap__commit(w))) {
			snprintf(out, outlen, "snapshot %s: %s", dir, strerror(-err));
		}
	}
	if (err) {
		snapchain__free(&c);
		if (!was_paused)
			resume_vm(vm);
		return err == -EEXIST ? VMM_ERR_INPUT : VMM_ERR_INTERNAL;
	}
	chain_committed(vm, &c);
	snapchain__free(&c);
	pr_debug("snapshot %s written in %.1f ms", dir, vmm_uptime_ms() - start);
	snprintf(out, outlen, "saved %s", dir);
	if (stop)
		vm__request_stop(vm, VM_EXIT_POWEROFF);
	else if (!was_paused)
		resume_vm(vm);
	return 0;
}
