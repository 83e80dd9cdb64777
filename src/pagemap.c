/*
 * pagemap: batched pread of /proc/PID/pagemap (offsets must be 8-byte
 * aligned: one word per page, at vaddr / page_size * 8).
 */
#include "config.h"
#include "pagemap.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ml_pagemap {
	int fd;
	int pid;
	unsigned page_shift;
};

struct ml_pagemap *ml_pagemap_open(int pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/pagemap", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			ml_err("pid %d: no such process", pid);
		else
			ml_err("pid %d: cannot read its pagemap: %s%s", pid, strerror(errno),
			       errno == EACCES || errno == EPERM ?
			       " (run as root or check ptrace permissions)" : "");
		return NULL;
	}
	struct ml_pagemap *pm = ml_calloc(1, sizeof *pm);
	pm->fd = fd;
	pm->pid = pid;
	long ps = sysconf(_SC_PAGESIZE);
	while ((1L << pm->page_shift) < ps)
		pm->page_shift++;
	return pm;
}

long ml_pagemap_read(struct ml_pagemap *pm, uint64_t vaddr, size_t npages, uint64_t *out)
{
	uint64_t first = vaddr >> pm->page_shift;
	size_t done = 0;
	while (done < npages) {
		size_t batch = ML_MIN(npages - done, (size_t)1 << 16);
		uint64_t off = (first + done) * 8;
		if (off > (uint64_t)INT64_MAX)
			break;
		ssize_t k = pread(pm->fd, out + done, batch * 8, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			ml_err("pid %d: pagemap read failed: %s", pm->pid, strerror(errno));
			return -1;
		}
		if (k == 0)
			break;
		done += (size_t)k / 8;
	}
	return (long)done;
}

void ml_pagemap_close(struct ml_pagemap *pm)
{
	if (!pm)
		return;
	close(pm->fd);
	free(pm);
}
