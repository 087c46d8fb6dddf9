#ifndef VMM_ARCH_CONFIG_ARCH_H
#define VMM_ARCH_CONFIG_ARCH_H

#include <stdbool.h>

#include "arm64/sve.h"

/* What the user asked of the arm64 vcpus (struct vm_config's arch part). */
struct arch_config {
	struct sve_request sve;		/* --sve-vls, --sve-max-vl */
	bool pmu;			/* --pmu */
	bool no_ptrauth;		/* --no-ptrauth */
};

#endif
