/* vmm: a small VMM for arm64 KVM, with complete SVE support. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arm64/caps.h"
#include "vmm/api.h"
#include "vmm/config.h"
#include "vmm/run.h"
#include "vmm/util.h"
#include "vmm/vmstate.h"

static const char main_help[] =
"usage: vmm COMMAND [options]\n"
"\n"
"Commands:\n"
"  run        boot an arm64 Linux kernel in a KVM VM (vmm run --help)\n"
"  pause, resume, stop, status, snapshot\n"
"             control a VM run with --api-socket (vmm snapshot --help)\n"
"  restore    restore a snapshot, here or on another host (vmm restore --help)\n"
"  snapshot-info\n"
"             describe a snapshot (vmm snapshot-info --help)\n"
"  caps       what this host's KVM can give (vmm caps --help)\n"
"  version    print vmm's version\n"
"  help       this text\n";

static int cmd_run(int argc, char **argv)
{
	struct vm_config cfg;
	char why[512];
	int ret = options__parse_run(argc, argv, &cfg, why, sizeof(why));

	if (ret == OPTIONS_HELP) {
		fputs(options__run_help, stdout);
		return 0;
	}
	if (ret < 0) {
		pr_err("%s", why);
		return -ret;
	}
	return vmm__run(&cfg);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	vmm_uptime_ms();	/* time zero, for --debug timings */
	signal(SIGPIPE, SIG_IGN);	/* a closed stdout or socket gives EPIPE, handled where written */
	if (getenv("VMM_DEBUG") && strcmp(getenv("VMM_DEBUG"), "0"))
		vmm_debug = true;
	if (!cmd || !strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		fputs(main_help, cmd ? stdout : stderr);
		return cmd ? 0 : VMM_ERR_INPUT;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("vmm %s\n", VMM_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "pause") || !strcmp(cmd, "resume") || !strcmp(cmd, "stop") || !strcmp(cmd, "status") ||
	    !strcmp(cmd, "snapshot"))
		return api__client_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "restore"))
		return restore__main(argc - 1, argv + 1);
	if (!strcmp(cmd, "snapshot-info"))
		return snapinfo__main(argc - 1, argv + 1);
	if (!strcmp(cmd, "caps"))
		return caps__main(argc - 1, argv + 1);
	pr_err("unknown command '%s'; see 'vmm help'", cmd);
	return VMM_ERR_INPUT;
}
