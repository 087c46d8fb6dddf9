/* `vmm run` option parsing: defaults, every flag, and each kind of bad input. */
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "vmm/config.h"
#include "arm64/layout.h"
#include "vmm/util.h"

#define MAX_ARGS 32

static int parse(struct vm_config *cfg, char *err, const char *line)
{
	static char buf[512];
	char *argv[MAX_ARGS];
	int argc = 0;

	snprintf(buf, sizeof(buf), "run %s", line);
	for (char *tok = strtok(buf, " "); tok && argc < MAX_ARGS; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	err[0] = 0;
	return options__parse_run(argc, argv, cfg, err, 256);
}

static void test_defaults(void **state)
{
	struct vm_config cfg;
	char err[256];

	assert_int_equal(parse(&cfg, err, "-k Image"), OPTIONS_RUN);
	assert_string_equal(cfg.kernel, "Image");
	assert_null(cfg.initrd);
	assert_int_equal(cfg.nr_cpus, 1);
	assert_int_equal(cfg.ram_mib, 256);
	assert_int_equal(cfg.ipa_bits, 0);
	assert_int_equal(cfg.arch.sve.kind, SVE_REQ_DEFAULT);
	assert_false(cfg.arch.pmu);
	assert_false(cfg.arch.no_ptrauth);
	assert_false(cfg.testdev);
	assert_int_equal(cfg.seccomp, SECCOMP_DEFAULT);	/* the build's: kill unless made otherwise */
	assert_false(cfg.ksm);
}

static void test_all_flags(void **state)
{
	struct vm_config cfg;
	char err[256];

	int ret = parse(&cfg, err, "-k K -i I -p console=ttyAMA0 -c 2 -m 512 "
			"--ipa-bits 40 --dump-dtb d.dtb --name vm1 --sve-vls=128,256 "
			"--pmu --no-ptrauth --testdev --debug --api-socket s.sock "
			"--seccomp=log --ksm");

	if (ret != OPTIONS_RUN)
		fail_msg("parse failed: %d %s", ret, err);
	assert_string_equal(cfg.kernel, "K");
	assert_string_equal(cfg.initrd, "I");
	assert_string_equal(cfg.cmdline, "console=ttyAMA0");
	assert_int_equal(cfg.nr_cpus, 2);
	assert_int_equal(cfg.ram_mib, 512);
	assert_int_equal(cfg.ipa_bits, 40);
	assert_string_equal(cfg.dtb_out, "d.dtb");
	assert_string_equal(cfg.name, "vm1");
	assert_int_equal(cfg.arch.sve.kind, SVE_REQ_LIST);
	assert_int_equal(cfg.arch.sve.list, VQ_BIT(1) | VQ_BIT(2));
	assert_true(cfg.arch.pmu && cfg.arch.no_ptrauth && cfg.testdev && cfg.debug);
	assert_string_equal(cfg.api_socket, "s.sock");
	assert_int_equal(cfg.seccomp, SECCOMP_LOG);
	assert_true(cfg.ksm);
	assert_int_equal(parse(&cfg, err, "-k K --seccomp off"), OPTIONS_RUN);
	assert_int_equal(cfg.seccomp, SECCOMP_OFF);
}

/* Options in any order: the generic and the arch's, before and after each other. */
static void test_order(void **state)
{
	struct vm_config cfg;
	char err[256];

	assert_int_equal(parse(&cfg, err, "--pmu -m 512 --sve-max-vl 256 -k K --no-ptrauth -c 3"),
			 OPTIONS_RUN);
	assert_string_equal(cfg.kernel, "K");
	assert_int_equal(cfg.ram_mib, 512);
	assert_int_equal(cfg.nr_cpus, 3);
	assert_int_equal(cfg.arch.sve.kind, SVE_REQ_UPTO);
	assert_true(cfg.arch.pmu && cfg.arch.no_ptrauth);
	/* A later value wins, as before. */
	assert_int_equal(parse(&cfg, err, "-k A -c 2 --kernel=B -c 4"), OPTIONS_RUN);
	assert_string_equal(cfg.kernel, "B");
	assert_int_equal(cfg.nr_cpus, 4);
}

static void test_sve_forms(void **state)
{
	struct vm_config cfg;
	char err[256];

	assert_int_equal(parse(&cfg, err, "-k K --sve-vls max"), OPTIONS_RUN);
	assert_int_equal(cfg.arch.sve.kind, SVE_REQ_MAX);
	assert_int_equal(parse(&cfg, err, "-k K --sve-vls=off"), OPTIONS_RUN);
	assert_int_equal(cfg.arch.sve.kind, SVE_REQ_OFF);
	assert_int_equal(parse(&cfg, err, "-k K --sve-max-vl=384"), OPTIONS_RUN);
	assert_int_equal(cfg.arch.sve.kind, SVE_REQ_UPTO);
	assert_int_equal(cfg.arch.sve.max_vl, 384);
}

/* -d, -n, --rng and --console, with the defaults they leave. */
static void test_virtio_devices(void **state)
{
	static const uint8_t mac1[6] = { 0x02, 0x76, 0x6d, 0x6d, 0x00, 0x01 };
	static const uint8_t mac2[6] = { 0x02, 0xab, 0xcd, 0xef, 0x00, 0x10 };
	struct vm_config cfg;
	char err[256];

	assert_int_equal(parse(&cfg, err, "-k K"), OPTIONS_RUN);
	assert_int_equal(cfg.nr_disks + cfg.nr_nets, 0);
	assert_false(cfg.rng);
	assert_int_equal(cfg.console, CONSOLE_SERIAL);

	assert_int_equal(parse(&cfg, err, "-k K -d a.img -d /x/b,c.img,ro --disk=d,ro,ro "
			       "-n tap=t0 --net tap=t1,mac=02:AB:cd:ef:00:10 --rng --console virtio"),
			 OPTIONS_RUN);
	assert_int_equal(cfg.nr_disks, 3);
	assert_string_equal(cfg.disks[0].path, "a.img");
	assert_false(cfg.disks[0].ro);
	assert_string_equal(cfg.disks[1].path, "/x/b,c.img");
	assert_true(cfg.disks[1].ro);
	assert_string_equal(cfg.disks[2].path, "d,ro");
	assert_true(cfg.disks[2].ro);
	assert_int_equal(cfg.nr_nets, 2);
	assert_string_equal(cfg.nets[0].tap, "t0");
	assert_memory_equal(cfg.nets[0].mac, mac1, 6);
	assert_string_equal(cfg.nets[1].tap, "t1");
	assert_memory_equal(cfg.nets[1].mac, mac2, 6);
	assert_true(cfg.rng);
	assert_int_equal(cfg.console, CONSOLE_VIRTIO);
}

static void test_help(void **state)
{
	struct vm_config cfg;
	char err[256];

	assert_int_equal(parse(&cfg, err, "--help"), OPTIONS_HELP);
	assert_int_equal(parse(&cfg, err, "-k K -h"), OPTIONS_HELP);
}

/* Each bad command line: status 2 and a reason that names the problem. */
static void test_bad_input(void **state)
{
	static const struct { const char *line, *why; } cases[] = {
		{ "", "no kernel" },
		{ "-k K -c 0", "--cpus 0" },
		{ "-k K -c two", "--cpus two" },
		{ "-k K -c 1000", "--cpus 1000" },
		{ "-k K -m 0", "--mem 0" },
		{ "-k K -m -5", "--mem -5" },
		{ "-k K -m 12abc", "--mem 12abc" },
		{ "-k K --ipa-bits 31", "--ipa-bits 31" },
		{ "-k K --ipa-bits 53", "--ipa-bits 53" },
		{ "-k K --ipa-bits 32 -m 4096", "does not fit in --ipa-bits 32" },
		{ "-k K --sve-vls=100", "100" },
		{ "-k K --sve-vls=128 --sve-max-vl=256", "not both" },
		{ "-k K --sve-vls=max --sve-vls=128", "once, not both" },
		{ "-k K --sve-max-vl=256 --sve-max-vl=128", "once, not both" },
		{ "-k K --pmu=on", "--pmu takes no argument" },
		{ "-k K --sve-vls", "--sve-vls needs an argument" },
		{ "-k K -q", "unknown option '-q'" },
		{ "-k K --frobnicate", "--frobnicate" },
		{ "-k K extra", "unexpected argument 'extra'" },
		{ "-k", "-k" },
		{ "-k K -d ,ro", "no path" },
		{ "-k K -n mac=02:00:00:00:00:01", "no tap=NAME" },
		{ "-k K -n tap=t0,mac=01:00:00:00:00:01", "mac=01:00:00:00:00:01" },
		{ "-k K -n tap=t0,mac=02:00:00:00:00", "mac=02:00:00:00:00" },
		{ "-k K -n tap=t0,mac=02:00:00:00:00:0g", "mac=02:00:00:00:00:0g" },
		{ "-k K -n tap=t0,vhost=on", "unknown 'vhost=on'" },
		{ "-k K --console hvc", "--console hvc" },
		{ "-k K --seccomp=on", "--seccomp on: expected off, log or kill" },
		{ "-k K --seccomp", "--seccomp needs an argument" },
		{ "-k K --ksm=yes", "--ksm takes no argument" },
		{ "-k K -d 1 -d 2 -d 3 -d 4 -d 5 -d 6 -d 7 -d 8 -d 9", "at most 8 disks" },
	};
	struct vm_config cfg;
	char err[256];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int ret = parse(&cfg, err, cases[i].line);

		if (ret != -VMM_ERR_INPUT || !strstr(err, cases[i].why))
			fail_msg("'%s': got %d '%s', want -2 mentioning '%s'", cases[i].line, ret,
				 err, cases[i].why);
		assert_null(strchr(err, '\n'));
	}
}

static void test_ipa_fits(void **state)
{
	struct vm_config cfg;
	char err[256];

	/* 2 GiB of RAM at 2 GiB ends at 4 GiB: exactly 32 bits. */
	assert_int_equal(parse(&cfg, err, "-k K --ipa-bits 32 -m 2048"), OPTIONS_RUN);
	assert_int_equal(layout__min_ipa_bits(2048ULL << 20), 32);
	assert_int_equal(layout__min_ipa_bits(2049ULL << 20), 33);
	assert_int_equal(layout__min_ipa_bits(256ULL << 20), 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_flags),
		cmocka_unit_test(test_sve_forms),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_virtio_devices),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_ipa_fits),
	};

	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
