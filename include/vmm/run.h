#ifndef VMM_RUN_H
#define VMM_RUN_H

#include "vmm/config.h"

/* Runs a VM to its end. Returns vmm's exit status (docs/usage.md). */
int vmm__run(const struct vm_config *cfg);

#endif
