/*
 * vmm's commands: the one table `vmm help`, each `vmm NAME --help` and the
 * dispatch come from, and every command's options (include/vmm/commands.h).
 */
#include <stdio.h>
#include <string.h>

#include "vmm/commands.h"
#include "vmm/config.h"
#include "vmm/migrate.h"
#include "vmm/run.h"
#include "vmm/util.h"

/* ---- vmm run ---- */

static const struct cmd_option run_machine_options[] = {
	{ "kernel", 'k', "FILE", "the kernel Image (required)", 'k', false },
	{ "initrd", 'i', "FILE", "an initramfs", 'i', false },
	{ "params", 'p', "CMDLINE", "the kernel command line", 'p', false },
	{ "cpus", 'c', "N", "vcpus (default 1)", 'c', false },
	{ "mem", 'm', "MiB", "guest memory in MiB (default 256)", 'm', false },
	{ "ipa-bits", 0, "N", "guest physical address size, 32..52 (default: the\n"
	  "smallest that covers the memory map)", RUN_OPT_IPA_BITS, false },
	{ NULL },
};

static const struct cmd_option run_device_options[] = {
	{ "dump-dtb", 0, "FILE", "also write the guest's device tree to FILE", RUN_OPT_DUMP_DTB, false },
	{ "name", 0, "NAME", "a name for this VM, used in messages (at most 63 bytes)",
	  RUN_OPT_NAME, false },
	{ "api-socket", 0, "PATH", "listen for control requests (pause, resume, stop,\n"
	  "snapshot) on this UNIX socket (docs/api.md)", RUN_OPT_API_SOCKET, false },
	{ "disk", 'd', "PATH[,ro]", "a raw disk image as a virtio block device (repeatable;\n"
	  ",ro: read-only for the guest, and enforced)", 'd', false },
	{ "net", 'n', "tap=NAME[,mac=MAC]", "a virtio network device on tap NAME (created if absent;\n"
	  "repeatable); MAC defaults to 02:76:6d:6d:00:NN", 'n', false },
	{ "rng", 0, NULL, "a virtio entropy device (fed from getrandom)", RUN_OPT_RNG, false },
	{ "console", 0, "serial|virtio", "where the terminal's input goes: the PL011 (ttyAMA0,\n"
	  "the default) or a virtio console (hvc0); the output\n"
	  "of both goes to stdout", RUN_OPT_CONSOLE, false },
	{ "testdev", 0, NULL, "add the test device the guests in guest/ report through",
	  RUN_OPT_TESTDEV, false },
	{ "seccomp", 0, "kill|log|off", "seccomp filters per thread (docs/security.md): a system\n"
	  "call outside a thread's list kills vmm (kill, the\n"
	  "default), is logged by the kernel (log), or no filter (off)", RUN_OPT_SECCOMP, false },
	{ "ksm", 0, NULL, "let the host's KSM merge guest memory pages (off by\n"
	  "default: merging leaks across VMs)", RUN_OPT_KSM, false },
	{ "debug", 0, NULL, "log unclaimed MMIO accesses and more on stderr", RUN_OPT_DEBUG, false },
	{ NULL },
};

const struct cmd_spec commands__run = {
	.name = "run",
	.usage = "vmm run -k KERNEL [options]",
	.about =
	"Boots an arm64 Linux kernel (a raw or gzip-compressed Image) in a KVM VM.\n"
	"The guest console (a PL011 UART) is on vmm's stdin and stdout; on a terminal,\n"
	"Ctrl-A x quits.\n",
	.tables = { run_machine_options, arch__run_options, run_device_options },
	.notes =
	"Exit status: 0 the guest powered off (or Ctrl-A x); 4 the guest asked for a\n"
	"reset; 5 a vcpu could not go on (guest crash); 130/143 stopped by SIGINT/\n"
	"SIGTERM; 2 bad input; 3 this host cannot give what was asked; 1 internal error.\n",
};

/* ---- vmm restore, vmm snapshot-info ---- */

/* What a restored or received VM runs with, as `vmm run` (both commands' last rows). */
static const struct cmd_option restored_vm_options[] = {
	{ "debug", 0, NULL, "log more on stderr", RESTORE_OPT_DEBUG, false },
	{ "seccomp", 0, "kill|log|off", "seccomp filters per thread, as vmm run has them",
	  RESTORE_OPT_SECCOMP, false },
	{ "ksm", 0, NULL, "let the host's KSM merge guest memory pages, as vmm run",
	  RESTORE_OPT_KSM, false },
	{ NULL },
};

static const struct cmd_option restore_options[] = {
	{ "api-socket", 0, "PATH", "listen for control requests, as vmm run does",
	  RESTORE_OPT_API_SOCKET, false },
	{ "paused", 0, NULL, "restore, but leave the vcpus paused until 'vmm resume'",
	  RESTORE_OPT_PAUSED, false },
	{ "check", 0, NULL, "only check; exit 0 when this host can restore DIR",
	  RESTORE_OPT_CHECK, false },
	{ "copy-memory", 0, NULL, "read guest memory in instead of mapping the file",
	  RESTORE_OPT_COPY_MEMORY, false },
	{ "disk", 'd', "PATH[,ro]", "the files backing the snapshot's disks, in its order\n"
	  "(--check lists it; repeatable: all or none), ,ro as\n"
	  "saved. Without -d, a disk must be the same regular\n"
	  "file, reached without a symlink (docs/snapshot.md)", 'd', false },
	{ "net", 'n', "tap=NAME", "the taps of the snapshot's network devices, in its\n"
	  "order (repeatable: all or none)", 'n', false },
	{ NULL },
};

const struct cmd_spec commands__restore = {
	.name = "restore",
	.about =
	"Restores the VM saved in DIR by 'vmm snapshot'. First it checks the\n"
	"snapshot (format, CRCs) and that this host can give exactly what it needs\n"
	"(IPA size, the VL set, vcpus, GIC, ID registers), before creating anything.\n",
	.tables = { restore_options, restored_vm_options },
	.operand = "DIR", .min_operands = 1, .max_operands = 1,
	.notes =
	"Exit status: as vmm run; 2 a missing or corrupt snapshot (the section is\n"
	"named), or a disk that is not what the snapshot recorded (the path and why\n"
	"named); 3 this host cannot give what the snapshot needs (both values named);\n"
	"1 the memory file was truncated under the restored VM.\n",
};

static const struct cmd_option info_options[] = {
	{ "json", 0, NULL, "the same as a JSON object (docs/snapshot.md)", INFO_OPT_JSON, false },
	{ "regs", 0, NULL, "every saved vcpu register, one per line: vcpu, name, id,\n"
	  "value; then the GIC's and each device's state in hex", INFO_OPT_REGS, false },
	{ NULL },
};

const struct cmd_spec commands__snapshot_info = {
	.name = "snapshot-info",
	.about =
	"Describes a snapshot: its format version, the host it was saved on, the VL\n"
	"set, the vcpus and memory, and each section with its size and CRC. A\n"
	"corrupt snapshot gets one line naming the section (exit status 2).\n",
	.tables = { info_options },
	.operand = "DIR", .min_operands = 1, .max_operands = 1,
};

/* ---- vmm caps ---- */

static const struct cmd_option caps_options[] = {
	{ "json", 0, NULL, "print it as a JSON object (docs/caps.md)", CAPS_OPT_JSON, false },
	{ "labels", 0, NULL, "print it as node-feature-discovery feature lines\n"
	  "(name=value, one a line) for Kubernetes node labels", CAPS_OPT_LABELS, false },
	{ "plan", 0, NULL, "read the FILEs 'vmm caps --json' wrote on several hosts\n"
	  "and print the largest SVE set and the CPU (per ID register\n"
	  "field) that every one of them can give, and the hosts that\n"
	  "cannot hide a difference; with --json, the plan file.\n"
	  "Needs no /dev/kvm.", CAPS_OPT_PLAN, false },
	{ "accept", 0, "REG.FIELD[,...]", "with --plan: leave these ID register fields unplanned,\n"
	  "each host showing its own (e.g. ID_AA64PFR0_EL1.RAS)", CAPS_OPT_ACCEPT, false },
	{ "check-plan", 0, "PLAN", "whether this host can run the plan file PLAN (status 3\n"
	  "and the first field it cannot give, if not)", CAPS_OPT_CHECK_PLAN, false },
	{ NULL },
};

const struct cmd_spec commands__caps = {
	.name = "caps",
	.usage = "vmm caps [--json | --labels | --check-plan PLAN]\n"
		 "vmm caps --plan [--json] [--accept REG.FIELD,...] FILE...",
	.about =
	"Reports what this host's KVM can give a guest: the KVM API version, the\n"
	"IPA size limit, the SVE vector lengths and every valid guest set, the vcpu\n"
	"limit, whether a GICv2/GICv3, a PMU, pointer authentication and MTE are\n"
	"there, and the CPU: its ID registers, which of their bits KVM lets vmm\n"
	"write, its caches, counter frequency and DC ZVA block size.\n",
	.tables = { caps_options },
	.operand = "FILE...", .min_operands = 0, .max_operands = CMD_MANY_OPERANDS,
	.notes =
	"Exit status: 0 done (also when the hosts have no common SVE set or some\n"
	"cannot run the plan); 2 bad input (usage, an unreadable or invalid FILE);\n"
	"3 this host cannot give what was asked (no /dev/kvm; --check-plan: the plan);\n"
	"1 internal error.\n",
};

/* ---- vmm exec ---- */

static const struct cmd_option exec_machine_options[] = {
	{ "kernel", 'k', "FILE", "the kernel Image (default: $VMM_KERNEL, else\n"
	  "/boot/vmlinuz-$(uname -r))", 'k', false },
	{ "cpus", 'c', "N", "vcpus (default 1)", 'c', false },
	{ "mem", 'm', "MiB", "guest memory in MiB (default 256)", 'm', false },
	{ NULL },
};

static const struct cmd_option exec_options[] = {
	{ "file", 'f', "PATH[:GUESTPATH]", "also pack this file or directory, at GUESTPATH\n"
	  "(relative to /job; default /job/NAME); repeatable", 'f', false },
	{ "env", 'e', "VAR=VALUE", "set VAR in PROGRAM's environment (-e VAR: the\n"
	  "value here); repeatable. Nothing else is set", 'e', false },
	{ "timeout", 0, "S", "end after S seconds from vmm's start (status 124)",
	  EXEC_OPT_TIMEOUT, false },
	{ "each-vl", 0, NULL, "run once per SVE vector length of this host, each\n"
	  "VM with the host's lengths up to that one", EXEC_OPT_EACH_VL, false },
	{ "jobs", 'j', "N", "with --each-vl, run N VMs at a time (default 1)",
	  'j', false },
	{ "debug", 0, NULL, "show the guest console and the start-up timings on stderr",
	  EXEC_OPT_DEBUG, false },
	{ NULL },
};

const struct cmd_spec commands__exec = {
	.name = "exec",
	.usage = "vmm exec [options] [--] PROGRAM [ARGS...]",
	.about =
	"Runs PROGRAM (found on PATH) in a throwaway VM and exits with its status.\n"
	"vmm packs an initramfs in memory: its own init, PROGRAM with its ELF\n"
	"interpreter and shared libraries, the -f files, and stdin when it is not\n"
	"a terminal (read to its end first). PROGRAM runs in /job with the -e\n"
	"variables; its stdout and stderr stream to vmm's. Its SVE default vector\n"
	"length is the VM's largest.\n",
	.tables = { exec_machine_options, arch__run_options, exec_options },
	.operand = "PROGRAM", .min_operands = 1, .max_operands = CMD_MANY_OPERANDS,
	.options_first = true,
	.notes =
	"Exit status: PROGRAM's, or 128 + N when signal N killed it; and vmm's own,\n"
	"as timeout(1) and docker run, each with one line on stderr:\n"
	"  124  the timeout passed\n"
	"  125  vmm failed: bad input, no usable kernel, the host cannot give the SVE\n"
	"       lengths, the guest kernel panicked or stopped without a status\n"
	"  126  PROGRAM cannot be executed\n"
	"  127  PROGRAM, its interpreter or a library it needs was not found\n"
	"A PROGRAM that itself exits 124..127 looks the same: these values are\n"
	"ambiguous, as with timeout(1). With --each-vl: one line per length on\n"
	"stderr, and the status of the smallest length that failed.\n",
};

/* ---- the control socket's clients: vmm pause, resume, stop, snapshot ---- */

static const struct cmd_option client_options[] = {
	{ "api-socket", 0, "PATH", "the control socket of a VM started with\n"
	  "'vmm run --api-socket PATH' (docs/api.md)", CLIENT_OPT_API_SOCKET, true },
	{ NULL },
};

static const struct cmd_option snapshot_options[] = {
	{ "output", 'o', "DIR", "the new directory to save the VM into; it must not exist",
	  'o', true },
	{ "stop", 0, NULL, "end the VM after saving it, instead of resuming it",
	  CLIENT_OPT_STOP, false },
	{ "base", 0, "PREV", "save only the pages written since PREV, this VM's latest\n"
	  "snapshot: an increment that restores with PREV's chain", CLIENT_OPT_BASE, false },
	{ NULL },
};

#define CLIENT_SPEC(cmd, what) { .name = cmd, .about = what, .tables = { client_options } }

const struct cmd_spec commands__pause = CLIENT_SPEC("pause",
	"Pauses the vcpus of a running VM (docs/api.md).\n");
const struct cmd_spec commands__resume = CLIENT_SPEC("resume",
	"Resumes the vcpus of a paused VM (docs/api.md).\n");
const struct cmd_spec commands__stop = CLIENT_SPEC("stop",
	"Stops a VM: vmm exits as on SIGTERM (docs/api.md).\n");
const struct cmd_spec commands__status = CLIENT_SPEC("status",
	"Prints whether a VM is running or paused (docs/api.md).\n");
const struct cmd_spec commands__snapshot = {
	.name = "snapshot",
	.about =
	"Pauses the VM, saves it into the new directory DIR, then resumes it, or\n"
	"ends it with --stop (docs/snapshot.md). With --base, DIR is an increment\n"
	"on PREV: 'vmm restore DIR' follows the chain down to its full snapshot.\n",
	.tables = { client_options, snapshot_options },
};

/* ---- live migration: vmm migrate, vmm receive ---- */

static const struct cmd_option migrate_options[] = {
	{ "to", 0, "ADDR", "where 'vmm receive' listens: unix:PATH or tcp:HOST:PORT", MIGRATE_OPT_TO,
	  true },
	{ "max-downtime", 0, "MS", "the pause to aim for (default 300): memory is sent while\n"
	  "the VM runs until what is left can be sent in that time", MIGRATE_OPT_MAX_DOWNTIME,
	  false },
	{ "abort-above", 0, "MS", "if the downtime cannot be brought under MS, give up (the\n"
	  "VM runs on here) instead of moving it anyway", MIGRATE_OPT_ABORT_ABOVE, false },
	{ "advance-clock", 0, NULL, "move the guest's counter forward by the downtime (by\n"
	  "default it stands still while the VM is paused)", MIGRATE_OPT_ADVANCE_CLOCK, false },
	{ "auth-file", 0, "FILE", "the shared secret the destination was given (required\n"
	  "over tcp; mode 0600)", MIGRATE_OPT_AUTH_FILE, false },
	{ NULL },
};

const struct cmd_spec commands__migrate = {
	.name = "migrate",
	.about =
	"Moves a running VM to 'vmm receive' on this or another host, live\n"
	"(docs/migration.md). The destination checks first, as 'vmm restore --check'\n"
	"does, before any memory is sent; then memory is sent while the VM runs,\n"
	"and the VM pauses only for the last pages and its registers. On a terminal,\n"
	"it shows each round; it prints the total time, the downtime and the bytes.\n",
	.tables = { client_options, migrate_options },
	.notes =
	"Exit status: 0 the VM runs on the destination and this vmm has ended; 3 the\n"
	"destination cannot give the VM (its reason named); 2 bad input; 1 the\n"
	"transfer failed: the VM runs on here, unless the link failed after the\n"
	"commit (then it may run on the destination and stays stopped here).\n",
};

static const struct cmd_option receive_options[] = {
	{ "listen", 0, "ADDR", "wait for one VM at unix:PATH or tcp:HOST:PORT",
	  RECEIVE_OPT_LISTEN, true },
	{ "auth-file", 0, "FILE", "the secret the sender must prove (required over tcp;\n"
	  "mode 0600)", RECEIVE_OPT_AUTH_FILE, false },
	{ "api-socket", 0, "PATH", "listen for control requests once the VM runs",
	  RESTORE_OPT_API_SOCKET, false },
	{ "disk", 'd', "PATH[,ro]", "the files backing the VM's disks, in its order (as\n"
	  "'vmm restore -d'); without -d, the source's paths (shared storage)", 'd', false },
	{ "net", 'n', "tap=NAME", "the taps of the VM's network devices, in its order",
	  'n', false },
	{ NULL },
};

const struct cmd_spec commands__receive = {
	.name = "receive",
	.about =
	"Waits for one VM sent by 'vmm migrate', checks that this host can give it\n"
	"(the checks of 'vmm restore --check') before taking its memory, then runs\n"
	"it as 'vmm restore' would (docs/migration.md).\n",
	.tables = { receive_options, restored_vm_options },
	.notes =
	"Exit status: as vmm run once the VM runs; 3 this host cannot give the VM\n"
	"(refused in the check, nothing created); 2 bad input, or a corrupted or\n"
	"truncated stream (nothing kept); 1 internal error.\n",
};

/* ---- the table ---- */

static int run_main(int argc, char **argv)
{
	struct vm_config cfg;
	char why[512];
	int ret = options__parse_run(argc, argv, &cfg, why, sizeof(why));

	if (ret == OPTIONS_HELP) {
		cmdline__print_help(&commands__run, stdout);
		return 0;
	}
	if (ret == OPTIONS_RUN)
		ret = options__canonical_paths(&cfg, why, sizeof(why));
	if (ret < 0) {
		pr_err("%s", why);
		return -ret;
	}
	return vmm__run(&cfg);
}

static int help_main(int argc, char **argv);
static int version_main(int argc, char **argv);

static const struct cmd_spec help_spec = {
	.name = "help", .usage = "vmm help [COMMAND]",
	.about = "Lists vmm's commands, or prints COMMAND's help.\n",
	.operand = "COMMAND", .max_operands = 1,
};
static const struct cmd_spec version_spec = {
	.name = "version", .about = "Prints vmm's version.\n",
};

const struct command commands__table[] = {
	{ "run", "boot an arm64 Linux kernel in a KVM VM", &commands__run, run_main },
	{ "pause", "pause a VM run with --api-socket", &commands__pause, api__client_main },
	{ "resume", "resume a paused VM", &commands__resume, api__client_main },
	{ "stop", "stop a VM run with --api-socket", &commands__stop, api__client_main },
	{ "status", "say whether a VM is running or paused", &commands__status, api__client_main },
	{ "snapshot", "save a running VM into a directory", &commands__snapshot, api__client_main },
	{ "restore", "restore a snapshot, here or on another host", &commands__restore,
	  restore__main },
	{ "migrate", "move a running VM to another vmm, live", &commands__migrate,
	  migrate__client_main },
	{ "receive", "wait for a VM that vmm migrate sends, and run it", &commands__receive,
	  receive__main },
	{ "snapshot-info", "describe a snapshot", &commands__snapshot_info, snapinfo__main },
	{ "caps", "what this host's KVM can give", &commands__caps, caps__main },
	{ "exec", "run a program in a throwaway VM, for CI", &commands__exec, exec__main },
	{ "version", "print vmm's version", &version_spec, version_main },
	{ "help", "this text, or a command's help", &help_spec, help_main },
	{ NULL },
};

const struct command *commands__find(const char *name)
{
	for (const struct command *c = commands__table; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

void commands__print_help(FILE *out)
{
	fputs("usage: vmm COMMAND [options]\n\nCommands:\n", out);
	for (const struct command *c = commands__table; c->name; c++)
		fprintf(out, "  %-15s%s\n", c->name, c->summary);
	fputs("\n'vmm COMMAND --help' lists a command's options.\n", out);
}

/* Parsing with no option but --help: what version and help need. */
static int no_option(void *ctx, int id, char *arg, char *err, size_t errlen)
{
	return -VMM_ERR_INPUT;	/* never called: the specs have no options */
}

/* Returns -1 to go on, or the exit status. */
static int parse_plain(const struct cmd_spec *spec, int argc, char **argv, int *first)
{
	char err[256];
	int ret = cmdline__parse(spec, argc, argv, no_option, NULL, first, err, sizeof(err));

	if (ret == CMDLINE_HELP) {
		cmdline__print_help(spec, stdout);
		return 0;
	}
	if (ret) {
		pr_err("%s", err);
		return -ret;
	}
	return -1;
}

static int version_main(int argc, char **argv)
{
	int first, ret = parse_plain(&version_spec, argc, argv, &first);

	if (ret >= 0)
		return ret;
	printf("vmm %s\n", VMM_VERSION);
	return 0;
}

static int help_main(int argc, char **argv)
{
	const struct command *c;
	int first, ret = parse_plain(&help_spec, argc, argv, &first);

	if (ret >= 0)
		return ret;
	if (first == argc) {
		commands__print_help(stdout);
		return 0;
	}
	c = commands__find(argv[first]);
	if (!c) {
		pr_err("help: unknown command '%s'; see 'vmm help'", argv[first]);
		return VMM_ERR_INPUT;
	}
	cmdline__print_help(c->spec, stdout);
	return 0;
}

int commands__dispatch(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;
	const struct command *c;

	if (!name) {
		commands__print_help(stderr);
		return VMM_ERR_INPUT;
	}
	if (!strcmp(name, "--help") || !strcmp(name, "-h"))
		name = "help";
	else if (!strcmp(name, "--version"))
		name = "version";
	c = commands__find(name);
	if (!c) {
		pr_err("unknown command '%s'; see 'vmm help'", name);
		return VMM_ERR_INPUT;
	}
	argv[1] = (char *)c->name;
	return c->main(argc - 1, argv + 1);
}
