/* The command handlers that need KVM, as stand-ins that record their call. */
#include <stddef.h>

#include "stub-commands.h"
#include "vmm/commands.h"
#include "vmm/migrate.h"
#include "vmm/run.h"

struct stub_call stub_last_call;

static int record(const char *handler, int argc, const char *argv0)
{
	stub_last_call = (struct stub_call){ handler, argc, argv0 };
	return STUB_EXIT;
}

int vmm__run(const struct vm_config *cfg)
{
	return record("vmm__run", 0, cfg->kernel);
}

int restore__main(int argc, char **argv)
{
	return record("restore__main", argc, argv[0]);
}

int snapinfo__main(int argc, char **argv)
{
	return record("snapinfo__main", argc, argv[0]);
}

int api__client_main(int argc, char **argv)
{
	return record("api__client_main", argc, argv[0]);
}

int caps__main(int argc, char **argv)
{
	return record("caps__main", argc, argv[0]);
}

int exec__main(int argc, char **argv)
{
	return record("exec__main", argc, argv[0]);
}

int migrate__client_main(int argc, char **argv)
{
	return record("migrate__client_main", argc, argv[0]);
}

int receive__main(int argc, char **argv)
{
	return record("receive__main", argc, argv[0]);
}
