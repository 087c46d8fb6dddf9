/* The command line of `vmm run`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/commands.h"
#include "vmm/config.h"
#include "vmm/util.h"
#include "vmm/vm.h"

static void set_defaults(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_cpus = VMM_DEFAULT_CPUS;
	cfg->ram_mib = VMM_DEFAULT_RAM_MIB;
	cfg->cmdline = "";
	cfg->name = "vmm";
	arch__config_defaults(&cfg->arch);
}

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

/* A snapshot keeps the name in 64 bytes: a longer one could never be restored. */
static int name_option(const char *arg, struct vm_config *cfg, char *err, size_t errlen)
{
	if (strlen(arg) > VMM_NAME_MAX) {
		snprintf(err, errlen, "--name: %zu bytes, at most %d", strlen(arg), VMM_NAME_MAX);
		return -VMM_ERR_INPUT;
	}
	cfg->name = arg;
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

static int one_option(void *ctx, int opt, char *arg, char *err, size_t errlen)
{
	struct vm_config *cfg = ctx;
	uint64_t v;
	int ret = 0;

	if (opt >= CMD_OPT_ARCH)
		return arch__run_option(&cfg->arch, opt, arg, err, errlen);
	switch (opt) {
	case 'k': cfg->kernel = arg; break;
	case 'i': cfg->initrd = arg; break;
	case 'p': cfg->cmdline = arg; break;
	case 'c':
		ret = number_option("--cpus", arg, 1, ARCH_MAX_VCPUS, &v, err, errlen);
		cfg->nr_cpus = (unsigned)v;
		break;
	case 'm':
		ret = number_option("--mem", arg, 4, ARCH_RAM_MIB_MAX, &cfg->ram_mib, err, errlen);
		break;
	case RUN_OPT_IPA_BITS:
		ret = number_option("--ipa-bits", arg, ARCH_IPA_BITS_MIN, ARCH_IPA_BITS_MAX, &v,
				    err, errlen);
		cfg->ipa_bits = (unsigned)v;
		break;
	case RUN_OPT_DUMP_DTB: cfg->dtb_out = arg; break;
	case RUN_OPT_NAME: return name_option(arg, cfg, err, errlen);
	case RUN_OPT_API_SOCKET: cfg->api_socket = arg; break;
	case 'd': return disk_option(arg, cfg, err, errlen);
	case 'n': return net_option(arg, cfg, err, errlen);
	case RUN_OPT_RNG: cfg->rng = true; break;
	case RUN_OPT_CONSOLE: return console_option(arg, cfg, err, errlen);
	case RUN_OPT_TESTDEV: cfg->testdev = true; break;
	case RUN_OPT_DEBUG: cfg->debug = true; break;
	case RUN_OPT_SECCOMP: return seccomp__parse_mode(arg, &cfg->seccomp, err, errlen);
	case RUN_OPT_KSM: cfg->ksm = true; break;
	default:
		set_err(err, errlen, "run: option id %#x has no parser", opt);
		return -VMM_ERR_INTERNAL;
	}
	return ret;
}

/* The memory map must fit in an explicitly given IPA size. */
static int check_consistency(const struct vm_config *cfg, char *err, size_t errlen)
{
	unsigned need = arch__default_ipa_bits(cfg->ram_mib << 20);

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
	int first, ret;

	set_defaults(cfg);
	ret = cmdline__parse(&commands__run, argc, argv, one_option, cfg, &first, err, errlen);
	if (ret == CMDLINE_HELP)
		return OPTIONS_HELP;
	return ret ? ret : check_consistency(cfg, err, errlen);
}

/*
 * Each disk's path made absolute and canonical (realpath) when the VM
 * starts, as a snapshot records it: a restore from another directory then
 * opens the same file, and a symlink given here is resolved once, now.
 */
int options__canonical_paths(struct vm_config *cfg, char *err, size_t errlen)
{
	for (unsigned i = 0; i < cfg->nr_disks; i++) {
		char *path = realpath(cfg->disks[i].path, NULL);

		if (!path) {
			snprintf(err, errlen, "disk %s: %s", cfg->disks[i].path, strerror(errno));
			return -VMM_ERR_INPUT;
		}
		cfg->disks[i].path = path;	/* for the life of the process */
	}
	return 0;
}
