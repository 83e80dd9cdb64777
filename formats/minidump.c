/*
 * minidump: decoding MDMP records from bytes, every count checked against
 * the size of the stream that holds it (see minidump.h).
 */
#include "config.h"
#include "minidump.h"
#include "le.h"

#include <string.h>

const char *ml_md_header(const unsigned char b[ML_MD_HEADER], uint64_t file_size, struct ml_md_header *h)
{
	if (ml_get_le(b, 4) != ML_MD_SIGNATURE)
		return "no MDMP signature";
	if ((ml_get_le(b + 4, 4) & 0xffff) != ML_MD_VERSION)
		return "unknown minidump version (the low 16 bits are not 0xa793)";
	h->nstreams = (uint32_t)ml_get_le(b + 8, 4);
	h->dir_rva = (uint32_t)ml_get_le(b + 12, 4);
	if ((uint64_t)h->dir_rva + (uint64_t)h->nstreams * ML_MD_DIRENT > file_size)
		return "the stream directory lies past the end of the file";
	return NULL;
}

void ml_md_dirent(const unsigned char b[ML_MD_DIRENT], struct ml_md_dirent *d)
{
	d->type = (uint32_t)ml_get_le(b, 4);
	d->size = (uint32_t)ml_get_le(b + 4, 4);
	d->rva = (uint32_t)ml_get_le(b + 8, 4);
}

const char *ml_md_list(const unsigned char *head, size_t head_len, uint32_t type, uint64_t stream_size,
		       uint64_t *count, uint64_t *base, uint64_t *first, uint64_t *rec)
{
	switch (type) {
	case ML_MD_MEMORY64_LIST:
		if (head_len < 16 || stream_size < 16)
			return "Memory64List is shorter than its header";
		*count = ml_get_le(head, 8);
		*base = ml_get_le(head + 8, 8);
		*first = 16;
		*rec = ML_MD_MEMDESC64;
		break;
	case ML_MD_MEMORY_INFO_LIST:
		if (head_len < 16 || stream_size < 16)
			return "MemoryInfoList is shorter than its header";
		*first = ml_get_le(head, 4);
		*rec = ml_get_le(head + 4, 4);
		*count = ml_get_le(head + 8, 8);
		if (*first < 16 || *rec < ML_MD_MEMINFO || *rec > 4096)
			return "MemoryInfoList has an impossible header or entry size";
		break;
	default:
		if (head_len < 4 || stream_size < 4)
			return "a list stream is shorter than its count";
		*count = ml_get_le(head, 4);
		*first = 4;
		*rec = type == ML_MD_THREAD_LIST ? ML_MD_THREAD : type == ML_MD_MODULE_LIST ? ML_MD_MODULE
										    : ML_MD_MEMDESC;
		break;
	}
	if (*first > stream_size || *count > (stream_size - *first) / *rec)
		return "a list stream counts more records than it holds";
	return NULL;
}

void ml_md_memdesc(const unsigned char b[ML_MD_MEMDESC], struct ml_md_range *r)
{
	r->start = ml_get_le(b, 8);
	r->size = ml_get_le(b + 8, 4);
	r->off = ml_get_le(b + 12, 4);
}

void ml_md_memdesc64(const unsigned char b[ML_MD_MEMDESC64], uint64_t off, struct ml_md_range *r)
{
	r->start = ml_get_le(b, 8);
	r->size = ml_get_le(b + 8, 8);
	r->off = off;
}

void ml_md_thread(const unsigned char b[ML_MD_THREAD], struct ml_md_thread *t)
{
	t->tid = (uint32_t)ml_get_le(b, 4);
	ml_md_memdesc(b + 24, &t->stack);
}

void ml_md_module(const unsigned char b[ML_MD_MODULE], struct ml_md_module *m)
{
	m->base = ml_get_le(b, 8);
	m->size = (uint32_t)ml_get_le(b + 8, 4);
	m->name_rva = (uint32_t)ml_get_le(b + 20, 4);
}

void ml_md_meminfo(const unsigned char b[ML_MD_MEMINFO], struct ml_md_meminfo *m)
{
	m->base = ml_get_le(b, 8);
	m->size = ml_get_le(b + 24, 8);
	m->state = (uint32_t)ml_get_le(b + 32, 4);
	m->protect = (uint32_t)ml_get_le(b + 36, 4);
	m->type = (uint32_t)ml_get_le(b + 40, 4);
}

unsigned ml_md_prot(uint32_t protect, bool *ok)
{
	*ok = true;
	/* PAGE_GUARD 0x100, PAGE_NOCACHE 0x200, PAGE_WRITECOMBINE 0x400 modify the base value. */
	switch (protect & 0xff) {
	case 0x01: return 0;					/* PAGE_NOACCESS */
	case 0x02: return ML_MD_R;				/* PAGE_READONLY */
	case 0x04: return ML_MD_R | ML_MD_W;		/* PAGE_READWRITE */
	case 0x08: return ML_MD_R | ML_MD_W;		/* PAGE_WRITECOPY */
	case 0x10: return ML_MD_X;				/* PAGE_EXECUTE */
	case 0x20: return ML_MD_R | ML_MD_X;		/* PAGE_EXECUTE_READ */
	case 0x40: return ML_MD_R | ML_MD_W | ML_MD_X;	/* PAGE_EXECUTE_READWRITE */
	case 0x80: return ML_MD_R | ML_MD_W | ML_MD_X;	/* PAGE_EXECUTE_WRITECOPY */
	}
	*ok = false;
	return 0;
}

static size_t put_utf8(char *out, uint32_t c)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | c >> 12);
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | c >> 18);
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

void ml_md_utf16(const unsigned char *in, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i + 1 < n;) {
		uint32_t c = (uint32_t)ml_get_le(in + i, 2);
		i += 2;
		if (c >= 0xd800 && c < 0xdc00 && i + 1 < n) {
			uint32_t lo = (uint32_t)ml_get_le(in + i, 2);
			if (lo >= 0xdc00 && lo < 0xe000) {
				c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				i += 2;
			} else {
				c = 0xfffd;
			}
		} else if (c >= 0xd800 && c < 0xe000) {
			c = 0xfffd;
		}
		char tmp[4];
		size_t k = put_utf8(tmp, c);
		if (o + k + 1 > cap)
			break;
		memcpy(out + o, tmp, k);
		o += k;
	}
	if (cap)
		out[o] = '\0';
}
