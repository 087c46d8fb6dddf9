/* Pause, resume and snapshot of a running VM, driven by the control socket. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vmm/devices.h"
#include "vmm/memsave.h"
#include "vmm/persist.h"
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

/* The memory file; with --debug, what it took (make bench reads this line). */
static int save_memory(struct vm *vm, struct snap_writer *w)
{
	struct memsave_stats st;
	double start = vmm_uptime_ms(), ms;
	int err = snap__write_memory(w, vm->ram, vm->ram_size, &st);

	if (err) {
		pr_err("snapshot: cannot write the memory file: %s", strerror(-err));
		return err;
	}
	ms = vmm_uptime_ms() - start;
	pr_debug("snapshot memory: %" PRIu64 " MiB of RAM, %.1f MB read (%s), %.1f MB written "
		 "in %u writes (%.1f ms of them), %.1f ms, %.0f MB/s written",
		 vm->ram_size >> 20, st.read / 1e6, st.pagemap ? "populated pages" : "every page",
		 st.written / 1e6, st.writes, st.write_ms, ms, ms > 0 ? st.written / 1e3 / ms : 0.0);
	return 0;
}

int vmstate__save_state(struct vm *vm, struct snap_writer *w)
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

static int save_all(struct vm *vm, struct snap_writer *w)
{
	int err = vmstate__save_state(vm, w);

	return err ? err : save_memory(vm, w);
}

/*
 * Pauses the VM (unless it is paused), writes the snapshot, then resumes
 * it, or ends it when asked to stop. A failed snapshot leaves no DIR and
 * the VM runs on.
 */
int vmstate__snapshot(struct vm *vm, const char *dir, bool stop, char *out, size_t outlen)
{
	bool was_paused = vm->pause_requested;
	struct snap_writer *w;
	double start = vmm_uptime_ms();
	int err;

	if (!was_paused)
		pause_vm(vm);
	err = snap__begin(dir, &w);
	if (err) {
		snprintf(out, outlen, "snapshot %s: %s", dir,
			 err == -EEXIST ? "already exists" : strerror(-err));
	} else {
		err = save_all(vm, w);
		if (err) {
			/* The component that failed said why on vmm's stderr. */
			snap__abort(w);
			snprintf(out, outlen, "snapshot %s: saving failed; the VM's log says why", dir);
		} else if ((err = snap__commit(w))) {
			snprintf(out, outlen, "snapshot %s: %s", dir, strerror(-err));
		}
	}
	if (err) {
		if (!was_paused)
			resume_vm(vm);
		return err == -EEXIST ? VMM_ERR_INPUT : VMM_ERR_INTERNAL;
	}
	pr_debug("snapshot %s written in %.1f ms", dir, vmm_uptime_ms() - start);
	snprintf(out, outlen, "saved %s", dir);
	if (stop)
		vm__request_stop(vm, VM_EXIT_POWEROFF);
	else if (!was_paused)
		resume_vm(vm);
	return 0;
}
