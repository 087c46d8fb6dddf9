/* vmm: a small VMM for arm64 KVM, with complete SVE support. */
#include <stdlib.h>
#include <string.h>

#include "vmm/commands.h"
#include "vmm/util.h"

int main(int argc, char **argv)
{
	vmm_uptime_ms();	/* time zero, for --debug timings */
	if (getenv("VMM_DEBUG") && strcmp(getenv("VMM_DEBUG"), "0"))
		vmm_debug = true;
	return commands__dispatch(argc, argv);
}
