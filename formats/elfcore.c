/*
 * elfcore: bounded decoding of core-file notes.  Every count is checked
 * against the bytes actually present before anything is allocated.
 */
#include "config.h"
#include "elfcore.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static uint64_t word(const unsigned char *p, unsigned ws, bool big)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < ws; i++)
		v |= (uint64_t)p[big ? ws - 1 - i : i] << (8 * i);
	return v;
}

int ml_ntfile_decode(const void *desc, size_t len, unsigned ws, bool big,
		     struct ml_ntfile *out)
{
	const unsigned char *p = desc;
	memset(out, 0, sizeof *out);
	if ((ws != 4 && ws != 8) || len < 2 * (size_t)ws)
		return -1;
	uint64_t count = word(p, ws, big);
	uint64_t psz = word(p + ws, ws, big);
	if (psz == 0)
		return -1;
	out->page_size = psz;
	out->declared = (size_t)ML_MIN(count, (uint64_t)SIZE_MAX);
	size_t room = (len - 2 * ws) / (3 * (size_t)ws);
	size_t n = count > room ? room : (size_t)count;
	if (n < count)
		out->truncated = true;
	out->e = ml_calloc(n ? n : 1, sizeof *out->e);
	const unsigned char *end = p + len;
	/*
	 * The paths follow the whole table.  Only a table that fits is a
	 * place to point at: count × 3 × ws itself can overflow.  When the
	 * table is cut, no paths survive.
	 */
	const unsigned char *names = count > room ? end : p + 2 * ws + n * 3 * ws;
	for (size_t i = 0; i < n; i++) {
		const unsigned char *t = p + 2 * ws + i * 3 * ws;
		const unsigned char *nul = names < end ? memchr(names, 0, (size_t)(end - names)) : NULL;
		uint64_t start = word(t, ws, big), stop = word(t + ws, ws, big);
		uint64_t ofs = word(t + 2 * ws, ws, big);
		if (!nul || stop < start || (ofs && psz > UINT64_MAX / ofs)) {
			out->truncated = true;
			break;
		}
		struct ml_ntfile_entry *e = &out->e[out->n++];
		e->start = start;
		e->end = stop;
		e->offset = ofs * psz;
		e->path = ml_strndup((const char *)names, (size_t)(nul - names));
		names = nul + 1;
	}
	return 0;
}

void ml_ntfile_free(struct ml_ntfile *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->e[i].path);
	free(f->e);
	memset(f, 0, sizeof *f);
}

/* struct elf_prpsinfo on LP64: pid at 24, fname[16] at 40, psargs[80] at 56. */
int ml_prpsinfo_decode(const void *desc, size_t len, int *pid, char fname[17], char args[81])
{
	const unsigned char *p = desc;
	if (len < 136)
		return -1;
	*pid = (int)word(p + 24, 4, false);
	memcpy(fname, p + 40, 16);
	fname[16] = '\0';
	memcpy(args, p + 56, 80);
	args[80] = '\0';
	return 0;
}

/* struct elf_prstatus on x86-64: pid at 32, pr_reg at 112, rsp is reg 19. */
int ml_prstatus_decode(const void *desc, size_t len, int *pid, uint64_t *sp)
{
	const unsigned char *p = desc;
	if (len < 336)
		return -1;
	*pid = (int)word(p + 32, 4, false);
	*sp = word(p + 112 + 19 * 8, 8, false);
	return 0;
}
