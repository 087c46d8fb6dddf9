#ifndef VMM_RUN_H
#define VMM_RUN_H

#include <stdbool.h>

#include "vmm/config.h"

struct vm;

/* Runs a VM to its end. Returns vmm's exit status (docs/usage.md). */
int vmm__run(const struct vm_config *cfg);

/* For restore: the pieces of a run. */
void vm__init_struct(struct vm *vm, const struct vm_config *cfg);
int vm__prepare(struct vm *vm, const struct vm_config *cfg);
int vm__run_until_stop(struct vm *vm, bool paused);
void vm__teardown(struct vm *vm);

#endif
