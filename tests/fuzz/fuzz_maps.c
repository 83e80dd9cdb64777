/*
 * fuzz_maps: /proc/PID/maps lines through ml_parse_maps_line, the parser
 * of the live source.  Each input is split into lines; a line the parser
 * accepts must also read the same under glibc's sscanf (addresses, offset,
 * permissions, inode), and its path must be text of the line itself.
 */
#include "config.h"
#include "fuzz.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINES 256

static void check_line(const char *line)
{
	struct ml_region r;
	if (ml_parse_maps_line(line, &r))
		return;
	uint64_t start, end, off, ino;
	unsigned maj, min;
	char perms[5] = { 0 };
	int k = sscanf(line, "%" SCNx64 "-%" SCNx64 " %4c %" SCNx64 " %x:%x %" SCNu64,
		       &start, &end, perms, &off, &maj, &min, &ino);
	FUZZ_CHECK(k == 7);
	FUZZ_CHECK(r.start == start && r.end == end && r.file_offset == off && r.inode == ino);
	FUZZ_CHECK(r.start < r.end && r.captured == r.end - r.start);
	FUZZ_CHECK(!!(r.prot & ML_PROT_R) == (perms[0] == 'r'));
	FUZZ_CHECK(!!(r.prot & ML_PROT_W) == (perms[1] == 'w'));
	FUZZ_CHECK(!!(r.prot & ML_PROT_X) == (perms[2] == 'x'));
	FUZZ_CHECK(!!(r.prot & ML_PROT_SHARED) == (perms[3] == 's'));
	FUZZ_CHECK((unsigned)r.kind < ML_KIND__COUNT);
	if (r.path) {
		FUZZ_CHECK(*r.path && !strchr(r.path, '\n'));
		FUZZ_CHECK(strstr(line, r.path));
	}
	free(r.path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = ml_strndup((const char *)data, size);	/* stops at a NUL, like the reader */
	char *p = text;
	for (unsigned n = 0; *p && n < MAX_LINES; n++) {
		char *nl = strchr(p, '\n');
		char *line = ml_strndup(p, nl ? (size_t)(nl - p) + 1 : strlen(p));
		check_line(line);
		free(line);
		if (!nl)
			break;
		p = nl + 1;
	}
	free(text);
	return 0;
}
