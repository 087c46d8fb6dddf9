/*
 * How far a snapshot being written has got, for `vmm snapshot` on a
 * terminal (vmm/api.c). It looks at the files vmm writes, so the server
 * needs no progress messages.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "vmm/api.h"

/*
 * Bytes of memory a running snapshot into dir has written so far: the
 * blocks of the memory file (memory, or an increment's memory-incr) in the
 * temporary directory vmm writes it in (".NAME.tmp-XXXXXX" beside dir,
 * vmm/snapshot.c). -1 when there is none.
 */
long long api__snapshot_progress(const char *dir)
{
	const char *slash = strrchr(dir, '/');
	char parent[API_LINE_MAX], prefix[API_LINE_MAX], path[3 * API_LINE_MAX];
	long long bytes = -1;
	struct dirent *e;
	struct stat st;
	DIR *d;

	if (!slash)
		return -1;
	snprintf(parent, sizeof(parent), "%.*s", (int)(slash == dir ? 1 : slash - dir), dir);
	snprintf(prefix, sizeof(prefix), ".%s.tmp-", slash + 1);
	d = opendir(parent);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, prefix, strlen(prefix)))
			continue;
		for (int incr = 0; incr < 2; incr++) {
			snprintf(path, sizeof(path), "%s/%s/memory%s", parent, e->d_name,
				 incr ? "-incr" : "");
			if (stat(path, &st) == 0 && (long long)st.st_blocks * 512 > bytes)
				bytes = (long long)st.st_blocks * 512;
		}
	}
	closedir(d);
	return bytes;
}
