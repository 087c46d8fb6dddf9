/*
 * What `vmm run` records for a snapshot: each disk's path made absolute
 * and canonical (options__canonical_paths), and a --name that a snapshot
 * can hold (at most VMM_NAME_MAX bytes; longer is refused, status 2).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "vmm/config.h"
#include "vmm/util.h"

static int parse(struct vm_config *cfg, char *err, char *name)
{
	char *argv[] = { "run", "-k", "Image", "--name", name };

	err[0] = '\0';
	return options__parse_run(5, argv, cfg, err, 256);
}

static void test_name_limit(void **state)
{
	struct vm_config cfg;
	char name[VMM_NAME_MAX + 2], err[256];

	memset(name, 'n', sizeof(name));
	name[VMM_NAME_MAX] = '\0';
	assert_int_equal(parse(&cfg, err, name), OPTIONS_RUN);
	assert_int_equal(strlen(cfg.name), 63);
	name[VMM_NAME_MAX] = 'n';
	name[VMM_NAME_MAX + 1] = '\0';
	assert_int_equal(parse(&cfg, err, name), -VMM_ERR_INPUT);
	assert_string_equal(err, "--name: 64 bytes, at most 63");
}

static void test_canonical_paths(void **state)
{
	char tmpl[] = "/tmp/vmm-test-paths-XXXXXX", cwd[PATH_MAX], err[256], *dir, want[PATH_MAX];
	struct vm_config cfg = { .nr_disks = 3 };
	FILE *f;

	assert_non_null(mkdtemp(tmpl));
	dir = realpath(tmpl, NULL);
	assert_non_null(dir);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(mkdir("sub", 0700), 0);
	f = fopen("sub/a.img", "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(symlink("sub/a.img", "link.img"), 0);
	cfg.disks[0] = (struct disk_config){ "sub/a.img", false };
	cfg.disks[1] = (struct disk_config){ "./sub/../link.img", true };
	cfg.disks[2] = (struct disk_config){ "link.img", false };
	assert_int_equal(options__canonical_paths(&cfg, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/sub/a.img", dir);
	for (unsigned i = 0; i < 3; i++) {
		assert_string_equal(cfg.disks[i].path, want);
		free((char *)cfg.disks[i].path);	/* vmm keeps them for its life */
	}
	assert_true(cfg.disks[1].ro);
	/* a missing disk is named */
	cfg.nr_disks = 1;
	cfg.disks[0] = (struct disk_config){ "missing.img", false };
	assert_int_equal(options__canonical_paths(&cfg, err, sizeof(err)), -VMM_ERR_INPUT);
	assert_string_equal(err, "disk missing.img: No such file or directory");
	unlink("link.img");
	unlink("sub/a.img");
	rmdir("sub");
	assert_int_equal(chdir(cwd), 0);
	rmdir(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_limit),
		cmocka_unit_test(test_canonical_paths),
	};

	return cmocka_run_group_tests_name("run_paths", tests, NULL, NULL);
}
