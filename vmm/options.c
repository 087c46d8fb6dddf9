/* The command line of `vmm run`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "vmm/config.h"
#include "arm64/layout.h"
#include "vmm/util.h"

const char options__run_help[] =
"usage: vmm run -k KERNEL [options]\n"
"\n"
"Boots an arm64 Linux kernel (a raw or gzip-compressed Image) in a KVM VM.\n"
"The guest console (a PL011 UART) is on vmm's stdin and stdout; on a terminal,\n"
"Ctrl-A x quits.\n"
"\n"
"  -k, --kernel FILE      the kernel Image (required)\n"
"  -i, --initrd FILE      an initramfs\n"
"  -p, --params CMDLINE   the kernel command line\n"
"  -c, --cpus N           vcpus (default 1)\n"
"  -m, --mem MiB          guest memory in MiB (default 256)\n"
"      --ipa-bits N       guest physical address size, 32..52 (default: the\n"
"                         smallest that covers the memory map)\n"
"      --sve-vls LIST     SVE vector lengths in bits, e.g. 128,256; 'max' is the\n"
"                         host's whole set (the default), 'off' gives no SVE\n"
"      --sve-max-vl BITS  the host's SVE lengths up to BITS\n"
"      --pmu              give the guest a PMUv3\n"
"      --no-ptrauth       no pointer authentication (on when the host has it)\n"
"      --dump-dtb FILE    also write the guest's device tree to FILE\n"
"      --name NAME        a name for this VM, used in messages\n"
"      --api-socket PATH  listen for control requests (pause, resume, stop,\n"
"                         snapshot) on this UNIX socket (docs/api.md)\n"
"  -d, --disk PATH[,ro]   a raw disk image as a virtio block device (repeatable;\n"
"                         ,ro: read-only for the guest, and enforced)\n"
"  -n, --net tap=NAME[,mac=MAC]\n"
"                         a virtio network device on tap NAME (created if absent;\n"
"                         repeatable); MAC defaults to 02:76:6d:6d:00:NN\n"
"      --rng              a virtio entropy device (fed from getrandom)\n"
"      --console serial|virtio\n"
"                         where the terminal's input goes: the PL011 (ttyAMA0,\n"
"                         the default) or a virtio console (hvc0); the output\n"
"                         of both goes to stdout\n"
"      --testdev          add the test device the guests in guest/ report through\n"
"      --debug            log unclaimed MMIO accesses and more on stderr\n"
"  -h, --help             this text\n"
"\n"
"Exit status: 0 the guest powered off (or Ctrl-A x); 4 the guest asked for a\n"
"reset; 5 a vcpu could not go on (guest crash); 130/143 stopped by SIGINT/\n"
"SIGTERM; 2 bad input; 3 this host cannot give what was asked; 1 internal error.\n";

enum {
	OPT_IPA_BITS = 0x100, OPT_DUMP_DTB, OPT_NAME, OPT_SVE_VLS, OPT_SVE_MAX_VL,
	OPT_PMU, OPT_NO_PTRAUTH, OPT_TESTDEV, OPT_DEBUG, OPT_API_SOCKET, OPT_RNG, OPT_CONSOLE,
};

static const struct option run_options[] = {
	{ "kernel", required_argument, NULL, 'k' },
	{ "initrd", required_argument, NULL, 'i' },
	{ "params", required_argument, NULL, 'p' },
	{ "cpus", required_argument, NULL, 'c' },
	{ "mem", required_argument, NULL, 'm' },
	{ "ipa-bits", required_argument, NULL, OPT_IPA_BITS },
	{ "dump-dtb", required_argument, NULL, OPT_DUMP_DTB },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "api-socket", required_argument, NULL, OPT_API_SOCKET },
	{ "sve-vls", required_argument, NULL, OPT_SVE_VLS },
	{ "sve-max-vl", required_argument, NULL, OPT_SVE_MAX_VL },
	{ "pmu", no_argument, NULL, OPT_PMU },
	{ "no-ptrauth", no_argument, NULL, OPT_NO_PTRAUTH },
	{ "disk", required_argument, NULL, 'd' },
	{ "net", required_argument, NULL, 'n' },
	{ "rng", no_argument, NULL, OPT_RNG },
	{ "console", required_argument, NULL, OPT_CONSOLE },
	{ "testdev", no_argument, NULL, OPT_TESTDEV },
	{ "debug", no_argument, NULL, OPT_DEBUG },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void set_defaults(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_cpus = VMM_DEFAULT_CPUS;
	cfg->ram_mib = VMM_DEFAULT_RAM_MIB;
	cfg->cmdline = "";
	cfg->name = "vmm";
	cfg->arch.sve.kind = SVE_REQ_DEFAULT;
}

/* Largest RAM whose top stays below 2^52, the largest IPA space. */
#define MAX_RAM_MIB ((1ULL << (52 - 20)) - (RAM_BASE >> 20))

static int number_option(const char *name, const char *arg, uint64_t min, uint64_t max,
			 uint64_t *out, char *err, size_t errlen)
{
	if (parse_uint(arg, min, max, out))
		return 0;
	snprintf(err, errlen, "%s %s: expected a number from %llu to %llu", name, arg,
		 (unsigned long long)min, (unsigned long long)max);
	return -VMM_ERR_INPUT;
}

/* -d PATH[,ro]: the path is everything before the last ",ro". */
static int disk_option(char *arg, struct vm_config *cfg, char *err, size_t errlen)
{
	struct disk_config *d;
	size_t len = strlen(arg);

	if (cfg->nr_disks == VMM_MAX_DISKS) {
		snprintf(err, errlen, "-d %s: at most %d disks", arg, VMM_MAX_DISKS);
		return -VMM_ERR_INPUT;
	}
	d = &cfg->disks[cfg->nr_disks];
	d->ro = len >= 3 && !strcmp(arg + len - 3, ",ro");
	if (d->ro)
		arg[len - 3] = '\0';
	if (!arg[0]) {
		snprintf(err, errlen, "-d: no path; expected PATH[,ro]");
		return -VMM_ERR_INPUT;
	}
	d->path = arg;
	cfg->nr_disks++;
	return 0;
}

/* "02:76:6d:6d:00:01" into six bytes; a multicast address is refused. */
static bool parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &end) != 6 || strlen(s) != 17)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return !(mac[0] & 1);
}

/* -n tap=NAME[,mac=MAC] */
static int net_option(char *arg, struct vm_config *cfg, char *err, size_t errlen)
{
	struct net_config *n;
	char *save = NULL;

	if (cfg->nr_nets == VMM_MAX_NETS) {
		snprintf(err, errlen, "-n %s: at most %d network devices", arg, VMM_MAX_NETS);
		return -VMM_ERR_INPUT;
	}
	n = &cfg->nets[cfg->nr_nets];
	memcpy(n->mac, (uint8_t[6]){ 0x02, 0x76, 0x6d, 0x6d, 0x00, (uint8_t)(cfg->nr_nets + 1) }, 6);
	n->tap = NULL;
	for (char *kv = strtok_r(arg, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		if (!strncmp(kv, "tap=", 4) && kv[4]) {
			n->tap = kv + 4;
		} else if (!strncmp(kv, "mac=", 4)) {
			if (!parse_mac(kv + 4, n->mac)) {
				snprintf(err, errlen, "-n: bad %s: expected six hex bytes like 02:76:6d:6d:00:01, not multicast", kv);
				return -VMM_ERR_INPUT;
			}
		} else {
			snprintf(err, errlen, "-n: unknown '%s'; expected tap=NAME[,mac=MAC]", kv);
			return -VMM_ERR_INPUT;
		}
	}
	if (!n->tap) {
		snprintf(err, errlen, "-n: no tap=NAME");
		return -VMM_ERR_INPUT;
	}
	cfg->nr_nets++;
	return 0;
}

static int console_option(const char *arg, struct vm_config *cfg, char *err, size_t errlen)
{
	if (!strcmp(arg, "serial")) {
		cfg->console = CONSOLE_SERIAL;
	} else if (!strcmp(arg, "virtio")) {
		cfg->console = CONSOLE_VIRTIO;
	} else {
		snprintf(err, errlen, "--console %s: expected serial or virtio", arg);
		return -VMM_ERR_INPUT;
	}
	return 0;
}

static int one_option(int opt, char *arg, struct vm_config *cfg, bool *sve_seen,
		      char *err, size_t errlen)
{
	uint64_t v;
	int ret = 0;

	switch (opt) {
	case 'k': cfg->kernel = arg; break;
	case 'i': cfg->initrd = arg; break;
	case 'p': cfg->cmdline = arg; break;
	case 'c':
		ret = number_option("--cpus", arg, 1, VMM_MAX_VCPUS, &v, err, errlen);
		cfg->nr_cpus = (unsigned)v;
		break;
	case 'm':
		ret = number_option("--mem", arg, 4, MAX_RAM_MIB, &cfg->ram_mib, err, errlen);
		break;
	case OPT_IPA_BITS:
		ret = number_option("--ipa-bits", arg, VMM_MIN_IPA_BITS, 52, &v, err, errlen);
		cfg->ipa_bits = (unsigned)v;
		break;
	case OPT_DUMP_DTB: cfg->dtb_out = arg; break;
	case OPT_NAME: cfg->name = arg; break;
	case OPT_API_SOCKET: cfg->api_socket = arg; break;
	case OPT_SVE_VLS:
	case OPT_SVE_MAX_VL:
		if (*sve_seen) {
			snprintf(err, errlen, "give --sve-vls or --sve-max-vl once, not both");
			return -VMM_ERR_INPUT;
		}
		*sve_seen = true;
		if (opt == OPT_SVE_VLS)
			return sve__parse_vls(arg, &cfg->arch.sve, err, errlen);
		return sve__parse_max_vl(arg, &cfg->arch.sve, err, errlen);
	case OPT_PMU: cfg->arch.pmu = true; break;
	case OPT_NO_PTRAUTH: cfg->arch.no_ptrauth = true; break;
	case 'd': return disk_option(arg, cfg, err, errlen);
	case 'n': return net_option(arg, cfg, err, errlen);
	case OPT_RNG: cfg->rng = true; break;
	case OPT_CONSOLE: return console_option(arg, cfg, err, errlen);
	case OPT_TESTDEV: cfg->testdev = true; break;
	case OPT_DEBUG: cfg->debug = true; break;
	default:
		snprintf(err, errlen, "unknown option; see 'vmm run --help'");
		return -VMM_ERR_INPUT;
	}
	return ret;
}

/* The memory map must fit in an explicitly given IPA size. */
static int check_consistency(const struct vm_config *cfg, char *err, size_t errlen)
{
	unsigned need = layout__min_ipa_bits(cfg->ram_mib << 20);

	if (!cfg->kernel) {
		snprintf(err, errlen, "no kernel: give one with -k KERNEL");
		return -VMM_ERR_INPUT;
	}
	if (cfg->ipa_bits && cfg->ipa_bits < need) {
		snprintf(err, errlen,
			 "--mem %llu does not fit in --ipa-bits %u: it needs %u bits",
			 (unsigned long long)cfg->ram_mib, cfg->ipa_bits, need);
		return -VMM_ERR_INPUT;
	}
	return 0;
}

int options__parse_run(int argc, char **argv, struct vm_config *cfg, char *err, size_t errlen)
{
	bool sve_seen = false;
	int opt, ret;

	set_defaults(cfg);
	optind = 0;	/* full re-initialisation, so the parser can run again */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+k:i:p:c:m:d:n:h", run_options, NULL)) != -1) {
		if (opt == 'h')
			return OPTIONS_HELP;
		if (opt == '?' || opt == ':') {
			snprintf(err, errlen, "%s: unknown option or missing argument; see 'vmm run --help'",
				 argv[optind - 1]);
			return -VMM_ERR_INPUT;
		}
		ret = one_option(opt, optarg, cfg, &sve_seen, err, errlen);
		if (ret)
			return ret;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'; see 'vmm run --help'", argv[optind]);
		return -VMM_ERR_INPUT;
	}
	return check_consistency(cfg, err, errlen);
}
