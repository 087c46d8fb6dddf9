/*
 * vmm exec's exit doorbell (docs/exec-design.md): a 4 KiB MMIO page the
 * guest's init maps through /dev/mem. It writes the job's key, then the
 * program's status word; exec_doorbell__write() keeps the first status
 * that follows the right key. A write to START (any value) marks the
 * moment the init starts the program, for --debug's timings. The page has
 * no device-tree node, so no driver claims it and /dev/mem may map it.
 */
#include <pthread.h>

#include "vmm/devices.h"
#include "vmm/exec-status.h"
#include "vmm/mmio.h"
#include "vmm/util.h"
#include "vmm/vm.h"

static struct {
	pthread_mutex_t lock;
	struct exec_vm *exec;
	struct device_place place;
} doorbell = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void doorbell_mmio(struct mmio_region *region, uint64_t offset, uint8_t *data,
			  uint32_t len, bool is_write)
{
	struct exec_vm *ex;

	if (!is_write) {
		mmio__put(data, len, 0);
		return;
	}
	pthread_mutex_lock(&doorbell.lock);
	ex = doorbell.exec;
	if (ex && offset == EXEC_DOORBELL_START) {
		if (!ex->program_start_ms)
			ex->program_start_ms = vmm_uptime_ms();
	} else if (ex && len == 8) {
		exec_doorbell__write(ex->doorbell, offset, mmio__get(data, len));
	}
	pthread_mutex_unlock(&doorbell.lock);
}

static bool doorbell_wanted(const struct vm_config *cfg)
{
	return cfg->exec != NULL;
}

static int doorbell_init(struct vm *vm)
{
	int err = arch__device_place(DEVICE_EXEC_DOORBELL, 0, &doorbell.place);

	if (err)
		return err;
	doorbell.exec = vm->cfg->exec;
	return mmio__register(&vm->mmio, doorbell.place.base, doorbell.place.size,
			      doorbell_mmio, &doorbell, "exec-doorbell");
}

static void doorbell_exit(struct vm *vm)
{
	pthread_mutex_lock(&doorbell.lock);
	doorbell.exec = NULL;
	pthread_mutex_unlock(&doorbell.lock);
}

const struct device_ops exec_doorbell_device = {
	.name = "exec-doorbell",
	.wanted = doorbell_wanted,
	.init = doorbell_init,
	.exit = doorbell_exit,
};
