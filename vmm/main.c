/* vmm: a small VMM for arm64 KVM, with complete SVE support. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/commands.h"
#include "vmm/ownmem.h"
#include "vmm/util.h"

int main(int argc, char **argv)
{
	vmm_uptime_ms();	/* time zero, for --debug timings */
	ownmem__init();
	signal(SIGPIPE, SIG_IGN);	/* a closed stdout or socket gives EPIPE, handled where written */
	if (getenv("VMM_DEBUG") && strcmp(getenv("VMM_DEBUG"), "0"))
		vmm_debug = true;
	return commands__dispatch(argc, argv);
}
