/*
 * triage: the checks behind `memlens triage` (see triage.h).
 *
 * Three passes, each cheap for what it looks at: the region list alone
 * (permissions, backing files, the executable); one stream over the bytes
 * of memory no file backs (ELF/PE headers at page starts, entropy per
 * page); and a comparison of each executable file mapping with its file
 * (through /proc/PID/map_files for a live process, so the file compared is
 * the one mapped).  Live processes add /proc facts: environment, tracer,
 * executable.  Everything read is hostile: header fields are checked
 * before use and every extent is clamped to its region.
 */
#include "config.h"
#include "triage.h"
#include "find_yara.h"
#include "json.h"
#include "select.h"
#include "util.h"

#include <capstone/capstone.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define PAGE 4096u
#define HEAD 64u		/* evidence bytes */
#define DISASM_BYTES 96u
#define DISASM_MAX 12
#define CMP_BLOCK ((size_t)1 << 20)
#define DIFF_MERGE 32u		/* differing runs this close are one change */
#define DIFF_MAX 32		/* findings per region before one summary */
#define ENV_SCAN ((uint64_t)256 << 10)	/* top of a core's main stack searched for the environment */

struct tj {
	struct ml_space *s;
	const struct ml_triage_opts *o;
	ml_finding_cb cb;
	void *ctx;
	csh cs;
	bool cs_ok;
	double nlogn[PAGE + 1];	/* n * log2(n), for page entropy */
};

const char *ml_sev_name(enum ml_sev s)
{
	static const char *const n[] = { "info", "low", "medium", "high" };
	return (unsigned)s < 4 ? n[s] : "?";
}

/* ---- evidence ---- */

static json_t *head_json(struct tj *t, uint64_t addr, bool exec)
{
	json_t *ev = json_object();
	uint8_t b[DISASM_BYTES];
	size_t n = (size_t)ML_MIN((uint64_t)sizeof b, UINT64_MAX - addr + 1);
	size_t data = ml_read_mem(t->s, addr, n, b);
	if (data < HEAD && data < n) {
		/* Part of it is a hole: evidence is only what was read. */
		json_object_set_new(ev, "holes", json_true());
	}
	char hex[3 * HEAD + 1], asc[HEAD + 1];
	size_t k = ML_MIN((size_t)HEAD, n);
	ml_hex_bytes(b, k, hex, sizeof hex);
	for (size_t i = 0; i < k; i++)
		asc[i] = b[i] >= 0x20 && b[i] < 0x7f ? (char)b[i] : '.';
	asc[k] = '\0';
	json_object_set_new(ev, "hex", json_string(hex));
	json_object_set_new(ev, "ascii", json_string(asc));
	if (exec && t->cs_ok) {
		cs_insn *insn;
		size_t cnt = cs_disasm(t->cs, b, n, addr, DISASM_MAX, &insn);
		json_t *d = json_array();
		for (size_t i = 0; i < cnt; i++) {
			char line[256];
			snprintf(line, sizeof line, "0x%llx: %s%s%s", (unsigned long long)insn[i].address,
				 insn[i].mnemonic, insn[i].op_str[0] ? " " : "", insn[i].op_str);
			json_array_append_new(d, json_string(line));
		}
		if (cnt)
			cs_free(insn, cnt);
		json_object_set_new(ev, "disasm", d);
	}
	return ev;
}

__attribute__((format(printf, 9, 10)))
static void emit(struct tj *t, const char *id, enum ml_sev sev, bool has_range, uint64_t a, uint64_t b,
		 long region, json_t *ev, const char *fmt, ...)
{
	char reason[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	struct ml_finding f = {
		.id = id,
		.sev = sev,
		.has_range = has_range,
		.start = a,
		.end = b,
		.region = region,
		.reason = reason,
		.evidence = ev ? ev : json_object(),
	};
	t->cb(t->ctx, &f);
	json_decref(f.evidence);
}

/* ---- the region list ---- */

static bool starts_with(const char *s, const char *p)
{
	return s && !strncmp(s, p, strlen(p));
}

/*
 * Memory no file backs: anonymous, heap, stack, other pseudo-mappings, and
 * shared anonymous memory, which maps lists as "/dev/zero (deleted)" or
 * "/SYSV<key> (deleted)" (System V shared memory).
 */
static bool no_file(const struct ml_region *r)
{
	if (r->kind == ML_KIND_FILE)
		return r->deleted && r->path && (!strcmp(r->path, "/dev/zero") || starts_with(r->path, "/SYSV"));
	return r->kind == ML_KIND_ANON || r->kind == ML_KIND_HEAP || r->kind == ML_KIND_STACK ||
	       r->kind == ML_KIND_OTHER;
}

static void check_regions(struct tj *t)
{
	for (size_t i = 0; i < t->s->n; i++) {
		const struct ml_region *r = &t->s->r[i];
		if (r->prot & ML_PROT_UNKNOWN || !(r->prot & ML_PROT_X))
			continue;
		if (r->prot & ML_PROT_W)
			emit(t, "wx", ML_SEV_HIGH, true, r->start, r->end, (long)i, head_json(t, r->start, true),
			     "memory that is writable and executable");
		if (no_file(r))
			emit(t, "anon-exec", ML_SEV_MEDIUM, true, r->start, r->end, (long)i,
			     head_json(t, r->start, true), "executable memory that no file backs (%s)",
			     ml_kind_name(r->kind));
		if (starts_with(r->path, "/memfd:"))
			emit(t, "memfd-exec", ML_SEV_HIGH, true, r->start, r->end, (long)i,
			     head_json(t, r->start, true), "executable mapping of a memfd (a file only in memory)");
		else if (r->kind == ML_KIND_FILE && r->deleted && !no_file(r))
			emit(t, "deleted-exec", ML_SEV_HIGH, true, r->start, r->end, (long)i,
			     head_json(t, r->start, true), "executable mapping of a deleted file");
		if (starts_with(r->path, "/tmp/") || starts_with(r->path, "/dev/shm/") ||
		    starts_with(r->path, "/var/tmp/"))
			emit(t, "tmp-exec", ML_SEV_MEDIUM, true, r->start, r->end, (long)i,
			     head_json(t, r->start, true), "executable mapping of a file in a world-writable directory");
	}
}

/* ---- images in memory no file backs ---- */

static uint64_t rd(const uint8_t *p, unsigned n, bool big)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[big ? n - 1 - i : i] << (8 * i);
	return v;
}

/* The extent of an ELF file image at addr (0 if the header does not hold up). */
static uint64_t elf_extent(struct tj *t, uint64_t addr, uint64_t limit)
{
	uint8_t h[64];
	if (!ml_read_exact(t->s, addr, sizeof h, h))
		return 0;
	unsigned cls = h[4], data = h[5];
	if ((cls != 1 && cls != 2) || (data != 1 && data != 2) || h[6] != 1)
		return 0;
	bool w64 = cls == 2, big = data == 2;
	uint64_t phoff = w64 ? rd(h + 32, 8, big) : rd(h + 28, 4, big);
	uint64_t shoff = w64 ? rd(h + 40, 8, big) : rd(h + 32, 4, big);
	unsigned ehsize = (unsigned)rd(h + (w64 ? 52 : 40), 2, big);
	unsigned phent = (unsigned)rd(h + (w64 ? 54 : 42), 2, big);
	unsigned phnum = (unsigned)rd(h + (w64 ? 56 : 44), 2, big);
	unsigned shent = (unsigned)rd(h + (w64 ? 58 : 46), 2, big);
	unsigned shnum = (unsigned)rd(h + (w64 ? 60 : 48), 2, big);
	if (ehsize != (w64 ? 64u : 52u))
		return 0;
	uint64_t end = ehsize, room = limit - addr;
	if (phnum && phent == (w64 ? 56u : 32u) && phoff < room && phoff + (uint64_t)phnum * phent <= room) {
		end = ML_MAX(end, phoff + (uint64_t)phnum * phent);
		for (unsigned i = 0; i < phnum; i++) {
			uint8_t p[56];
			if (!ml_read_exact(t->s, addr + phoff + (uint64_t)i * phent, phent, p))
				break;
			uint64_t off = w64 ? rd(p + 8, 8, big) : rd(p + 4, 4, big);
			uint64_t fsz = w64 ? rd(p + 32, 8, big) : rd(p + 16, 4, big);
			if (off <= room && fsz <= room - off)
				end = ML_MAX(end, off + fsz);
		}
	}
	if (shnum && shent == (w64 ? 64u : 40u) && shoff < room &&
	    (uint64_t)shnum * shent <= room - shoff)
		end = ML_MAX(end, shoff + (uint64_t)shnum * shent);
	return ML_MIN(end, room);
}

/* The extent of a PE file image at addr (0 if the headers do not hold up). */
static uint64_t pe_extent(struct tj *t, uint64_t addr, uint64_t limit)
{
	uint8_t mz[64], pe[24];
	uint64_t room = limit - addr;
	if (!ml_read_exact(t->s, addr, sizeof mz, mz))
		return 0;
	uint64_t lfanew = rd(mz + 0x3c, 4, false);
	if (lfanew < 64 || lfanew > 4096 || lfanew + sizeof pe > room ||
	    !ml_read_exact(t->s, addr + lfanew, sizeof pe, pe) || memcmp(pe, "PE\0\0", 4))
		return 0;
	unsigned nsec = (unsigned)rd(pe + 6, 2, false), opt = (unsigned)rd(pe + 20, 2, false);
	uint64_t sec = lfanew + 24 + opt, end = sec + (uint64_t)nsec * 40;
	for (unsigned i = 0; i < nsec && i < 96 && sec + (i + 1) * 40ull <= room; i++) {
		uint8_t s[40];
		if (!ml_read_exact(t->s, addr + sec + i * 40ull, sizeof s, s))
			break;
		uint64_t raw = rd(s + 16, 4, false), ptr = rd(s + 20, 4, false);
		if (ptr <= room && raw <= room - ptr)
			end = ML_MAX(end, ptr + raw);
	}
	return ML_MIN(end, room);
}

/* ---- entropy and headers over memory no file backs ---- */

struct scan {
	struct tj *t;
	uint64_t page;		/* address of the page being assembled */
	size_t have;		/* its bytes so far */
	uint32_t hist[256];
	uint8_t head[8];
	uint64_t hi_start, hi_end;	/* current high-entropy stretch */
	double hi_sum;
	uint64_t hi_pages;
	long region;
	uint64_t skip_to;	/* inside an image already reported */
};

static void hi_flush(struct scan *sc)
{
	struct tj *t = sc->t;
	if (sc->hi_end > sc->hi_start && sc->hi_end - sc->hi_start >= t->o->entropy_min) {
		json_t *ev = head_json(t, sc->hi_start, false);
		json_object_set_new(ev, "entropy", json_real(round(sc->hi_sum / (double)sc->hi_pages * 1000) / 1000));
		json_object_set_new(ev, "pages", json_integer((json_int_t)sc->hi_pages));
		long ri = ml_space_find(t->s, sc->hi_start);
		emit(t, "high-entropy", ML_SEV_INFO, true, sc->hi_start, sc->hi_end, ri, ev,
		     "near-random content (%.2f bits per byte over %llu pages): packed, compressed or encrypted",
		     sc->hi_sum / (double)sc->hi_pages, (unsigned long long)sc->hi_pages);
	}
	sc->hi_start = sc->hi_end = 0;
	sc->hi_sum = 0;
	sc->hi_pages = 0;
}

static void page_done(struct scan *sc)
{
	struct tj *t = sc->t;
	uint64_t a = sc->page;
	if (sc->have == PAGE) {
		double h = log2((double)PAGE), sum = 0;
		for (int i = 0; i < 256; i++)
			sum += t->nlogn[sc->hist[i]];
		h -= sum / PAGE;
		if (h >= t->o->entropy_bits) {
			if (sc->hi_end != a)
				hi_flush(sc);
			if (!sc->hi_pages)
				sc->hi_start = a;
			sc->hi_end = a + PAGE;
			sc->hi_sum += h;
			sc->hi_pages++;
		} else {
			hi_flush(sc);
		}
	} else {
		hi_flush(sc);
	}
	if (sc->have >= 4 && a >= sc->skip_to) {
		long ri = ml_space_find(t->s, a);
		uint64_t limit = ri >= 0 ? t->s->r[ri].end : a + sc->have;
		if (!memcmp(sc->head, "\177ELF", 4)) {
			uint64_t n = elf_extent(t, a, limit);
			if (n) {
				emit(t, "elf-in-anon", ML_SEV_HIGH, true, a, a + n, ri, head_json(t, a, false),
				     "an ELF image (%llu bytes) in memory no file backs",
				     (unsigned long long)n);
				sc->skip_to = a + n;
			}
		} else if (sc->head[0] == 'M' && sc->head[1] == 'Z') {
			uint64_t n = pe_extent(t, a, limit);
			if (n) {
				emit(t, "pe-in-anon", ML_SEV_HIGH, true, a, a + n, ri, head_json(t, a, false),
				     "a PE (Windows) image (%llu bytes) in memory no file backs",
				     (unsigned long long)n);
				sc->skip_to = a + n;
			}
		}
	}
	memset(sc->hist, 0, sizeof sc->hist);
	sc->have = 0;
}

static bool zero_page(const uint8_t *d)
{
	uint64_t acc = 0;
	for (size_t i = 0; i < PAGE; i += 64) {
		uint64_t w[8];
		memcpy(w, d + i, sizeof w);
		acc |= w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7];
		if (acc)
			return false;
	}
	return true;
}

static void scan_bytes(struct scan *sc, uint64_t addr, const uint8_t *d, size_t n)
{
	while (n) {
		if (sc->have == 0) {
			sc->page = addr & ~(uint64_t)(PAGE - 1);
			/* A run starting mid-page counts only the part it has. */
			sc->have = (size_t)(addr - sc->page);
			if (sc->have) {
				size_t k = ML_MIN(n, PAGE - sc->have);
				addr += k;
				d += k;
				n -= k;
				sc->have = 0;
				continue;
			}
		}
		size_t k = ML_MIN(n, PAGE - sc->have);
		if (sc->have < sizeof sc->head)
			memcpy(sc->head + sc->have, d, ML_MIN(k, sizeof sc->head - sc->have));
		if (k == PAGE && zero_page(d)) {
			/* Most of a big process: nothing to count, nothing to find. */
			sc->hist[0] = PAGE;
		} else {
			/* Four tallies: runs of one byte value do not wait on one counter. */
			uint32_t h4[4][256] = { { 0 } };
			size_t i = 0;
			for (; i + 4 <= k; i += 4) {
				h4[0][d[i]]++;
				h4[1][d[i + 1]]++;
				h4[2][d[i + 2]]++;
				h4[3][d[i + 3]]++;
			}
			for (; i < k; i++)
				h4[0][d[i]]++;
			for (int v = 0; v < 256; v++)
				sc->hist[v] += h4[0][v] + h4[1][v] + h4[2][v] + h4[3][v];
		}
		sc->have += k;
		addr += k;
		d += k;
		n -= k;
		if (sc->have == PAGE)
			page_done(sc);
	}
}

static void check_content(struct tj *t)
{
	struct ml_selection sel = { 0 };
	size_t cap = 0;
	for (size_t i = 0; i < t->s->n; i++) {
		const struct ml_region *r = &t->s->r[i];
		/* Memory the process cannot read (reservations, guards) holds no payload. */
		if (!no_file(r) || r->prot & ML_PROT_UNKNOWN || !(r->prot & ML_PROT_R))
			continue;
		if (sel.n == cap) {
			cap = cap ? cap * 2 : 64;
			sel.p = ml_reallocarray(sel.p, cap, sizeof *sel.p);
		}
		sel.p[sel.n++] = (struct ml_piece){ r->start, r->end, i };
		sel.bytes += r->end - r->start;
	}
	struct scan sc = { .t = t, .region = -1 };
	struct ml_stream *st = ml_stream_new(t->s, &sel, (size_t)1 << 20);
	/* Untouched pages hold neither images nor entropy: skipped unread. */
	ml_stream_skip_zeros(st);
	struct ml_chunk c;
	uint64_t last_end = 0;
	while (ml_stream_next(st, &c)) {
		if (c.hole || c.zero || c.addr != last_end) {
			/* A hole or the next region: the partial page is not one. */
			if (sc.have)
				page_done(&sc);
			hi_flush(&sc);
		}
		if (c.data)
			scan_bytes(&sc, c.addr, c.data, c.len);
		last_end = c.addr + c.len;
	}
	if (sc.have)
		page_done(&sc);
	hi_flush(&sc);
	ml_stream_free(st);
	ml_selection_free(&sel);
}

/* ---- code that differs from its file ---- */

/* The file the mapping came from: map_files for a live process (the very inode). */
static int open_mapped(struct tj *t, const struct ml_region *r, bool *same_inode, char *why, size_t wl)
{
	*same_inode = false;
	if (ml_space_can(t->s, ML_CAP_LIVE)) {
		char p[96];
		snprintf(p, sizeof p, "/proc/%d/map_files/%llx-%llx", t->s->pid,
			 (unsigned long long)r->start, (unsigned long long)r->end);
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			*same_inode = true;
			return fd;
		}
	}
	int fd = open(r->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		snprintf(why, wl, "the file cannot be opened: %s", strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(why, wl, "the path is not a regular file any more");
		close(fd);
		return -1;
	}
	if (ml_space_can(t->s, ML_CAP_LIVE)) {
		if (st.st_ino != r->inode || major(st.st_dev) != r->dev_major || minor(st.st_dev) != r->dev_minor) {
			snprintf(why, wl, "the file at that path was replaced since it was mapped (inode %llu, mapped %llu)",
				 (unsigned long long)st.st_ino, (unsigned long long)r->inode);
			close(fd);
			return -1;
		}
		*same_inode = true;
	}
	return fd;
}

/* GNU build id from ELF program headers read through `get`; 0 if none. */
typedef bool (*read_fn)(void *ctx, uint64_t off, size_t n, void *buf);

static size_t build_id(read_fn get, void *ctx, bool mem, uint8_t id[64])
{
	uint8_t h[64];
	if (!get(ctx, 0, sizeof h, h) || memcmp(h, "\177ELF", 4) || h[4] != 2 || h[5] != 1)
		return 0;
	uint64_t phoff = rd(h + 32, 8, false);
	unsigned phent = (unsigned)rd(h + 54, 2, false), phnum = (unsigned)rd(h + 56, 2, false);
	if (phent != 56 || phnum > 256)
		return 0;
	for (unsigned i = 0; i < phnum; i++) {
		uint8_t p[56];
		if (!get(ctx, phoff + (uint64_t)i * 56, 56, p) || rd(p, 4, false) != 4 /* PT_NOTE */)
			continue;
		/* A loaded image is at p_vaddr from its base (ET_DYN); a file at p_offset. */
		uint64_t at = mem ? rd(p + 16, 8, false) : rd(p + 8, 8, false), sz = rd(p + 32, 8, false);
		if (sz > 4096)
			continue;
		uint8_t n[4096];
		if (!get(ctx, at, (size_t)sz, n))
			continue;
		for (size_t o = 0; o + 12 <= sz;) {
			uint32_t nsz = (uint32_t)rd(n + o, 4, false), dsz = (uint32_t)rd(n + o + 4, 4, false);
			uint32_t type = (uint32_t)rd(n + o + 8, 4, false);
			size_t name = o + 12, desc = name + ((nsz + 3u) & ~3u);
			if (nsz > sz || dsz > sz || desc + dsz > sz)
				break;
			if (type == 3 && nsz == 4 && !memcmp(n + name, "GNU", 4) && dsz <= 64 && dsz) {
				memcpy(id, n + desc, dsz);
				return dsz;
			}
			o = desc + ((dsz + 3u) & ~3u);
		}
	}
	return 0;
}

struct memctx {
	struct tj *t;
	uint64_t base;
};

static bool mem_get(void *ctx, uint64_t off, size_t n, void *buf)
{
	struct memctx *m = ctx;
	return ml_read_exact(m->t->s, m->base + off, n, buf);
}

static bool file_get(void *ctx, uint64_t off, size_t n, void *buf)
{
	int fd = *(int *)ctx;
	return pread(fd, buf, n, (off_t)off) == (ssize_t)n;
}

/* The load base of the file a region maps: the start of its offset-0 mapping. */
static bool image_base(struct tj *t, const struct ml_region *r, uint64_t *base)
{
	for (size_t i = 0; i < t->s->n; i++) {
		const struct ml_region *q = &t->s->r[i];
		if (q->path && !strcmp(q->path, r->path) && q->file_offset == 0 && q->start <= r->start) {
			*base = q->start;
			return true;
		}
	}
	return false;
}

static void report_diff(struct tj *t, const struct ml_region *r, long ri, uint64_t a, uint64_t b,
			int fd, const char *note)
{
	json_t *ev = head_json(t, a, true);
	uint8_t f[HEAD];
	uint64_t off = r->file_offset + (a - r->start);
	ssize_t k = pread(fd, f, (size_t)ML_MIN((uint64_t)HEAD, b - a), (off_t)off);
	if (k > 0) {
		char hex[3 * HEAD + 1];
		ml_hex_bytes(f, (size_t)k, hex, sizeof hex);
		json_object_set_new(ev, "file_hex", json_string(hex));
	}
	json_object_set_new(ev, "file_offset", json_integer((json_int_t)off));
	char *p = ml_escape(r->path);
	emit(t, "code-modified", ML_SEV_HIGH, true, a, b, ri, ev,
	     "%llu bytes of code differ from %s at offset 0x%llx%s", (unsigned long long)(b - a), p,
	     (unsigned long long)off, note);
	free(p);
}

static void compare_region(struct tj *t, long ri, uint8_t *mb, uint8_t *fb)
{
	const struct ml_region *r = &t->s->r[ri];
	char why[256];
	bool same;
	int fd = open_mapped(t, r, &same, why, sizeof why);
	if (fd < 0) {
		char *p = ml_escape(r->path);
		emit(t, "code-unverified", ML_SEV_LOW, true, r->start, r->end, ri, NULL,
		     "code mapped from %s could not be compared: %s", p, why);
		free(p);
		return;
	}
	const char *note = "";
	if (!same) {
		/* A dump: the file on disk must be the one mapped, by its build id. */
		uint64_t base;
		uint8_t a[64], b[64];
		struct memctx mc = { t, 0 };
		size_t na = 0, nb = build_id(file_get, &fd, false, b);
		if (image_base(t, r, &base)) {
			mc.base = base;
			na = build_id(mem_get, &mc, true, a);
		}
		if (na && nb && (na != nb || memcmp(a, b, na))) {
			char *p = ml_escape(r->path);
			emit(t, "code-unverified", ML_SEV_LOW, true, r->start, r->end, ri, NULL,
			     "%s on disk is not the file that was mapped (its build id differs); not compared", p);
			free(p);
			close(fd);
			return;
		}
		if (!na || !nb)
			note = " (the file on disk could not be matched to the mapping by build id)";
	}
	struct stat st;
	uint64_t fsize = fstat(fd, &st) ? 0 : (uint64_t)st.st_size;
	uint64_t cap_end = ml_region_cap_end(r);
	uint64_t run_a = 0, run_b = 0;
	int reported = 0;
	uint64_t more = 0;
	for (uint64_t a = r->start; a < cap_end;) {
		size_t n = (size_t)ML_MIN((uint64_t)CMP_BLOCK, cap_end - a);
		bool hole;
		size_t k = ml_space_read(t->s, a, n, mb, &hole);
		if (hole) {
			a += k;
			continue;
		}
		uint64_t off = r->file_offset + (a - r->start);
		size_t infile = off >= fsize ? 0 : (size_t)ML_MIN((uint64_t)k, fsize - off);
		ssize_t got = infile ? pread(fd, fb, infile, (off_t)off) : 0;
		if (got < 0)
			got = 0;
		/* Past the end of the file a mapping's page holds zeros. */
		memset(fb + got, 0, k - (size_t)got);
		if (memcmp(mb, fb, k)) {
			for (size_t i = 0; i < k; i++) {
				if (mb[i] == fb[i])
					continue;
				uint64_t x = a + i;
				if (run_b && x - run_b <= DIFF_MERGE) {
					run_b = x + 1;
					continue;
				}
				if (run_b) {
					if (reported < DIFF_MAX) {
						report_diff(t, r, ri, run_a, run_b, fd, note);
						reported++;
					} else {
						more++;
					}
				}
				run_a = x;
				run_b = x + 1;
			}
		}
		a += k;
	}
	if (run_b) {
		if (reported < DIFF_MAX)
			report_diff(t, r, ri, run_a, run_b, fd, note);
		else
			more++;
	}
	if (more) {
		char *p = ml_escape(r->path);
		emit(t, "code-modified", ML_SEV_HIGH, true, r->start, r->end, ri, NULL,
		     "%llu more changed stretches of code in this mapping of %s", (unsigned long long)more, p);
		free(p);
	}
	close(fd);
}

static void check_code(struct tj *t)
{
	uint8_t *mb = ml_malloc(CMP_BLOCK), *fb = ml_malloc(CMP_BLOCK);
	for (size_t i = 0; i < t->s->n; i++) {
		const struct ml_region *r = &t->s->r[i];
		if (r->kind != ML_KIND_FILE || no_file(r) || !(r->prot & ML_PROT_X) || r->prot & ML_PROT_UNKNOWN ||
		    r->deleted || !r->path || r->path[0] != '/' || starts_with(r->path, "/memfd:") ||
		    !ml_region_captured_in(r, r->start, r->end))
			continue;
		compare_region(t, (long)i, mb, fb);
	}
	free(mb);
	free(fb);
}

/* ---- the process: environment, tracer, executable ---- */

static const char *const loader_vars[] = { "LD_PRELOAD=", "LD_AUDIT=", "LD_LIBRARY_PATH=" };

static void env_entry(struct tj *t, const char *e, size_t len, uint64_t addr, bool addr_known)
{
	for (size_t v = 0; v < ML_ARRAY_SIZE(loader_vars); v++) {
		size_t l = strlen(loader_vars[v]);
		if (len < l || memcmp(e, loader_vars[v], l))
			continue;
		json_t *ev = json_object();
		char *val = ml_strndup(e, len);
		json_object_set_new(ev, "variable", ml_json_str(val));
		char *esc = ml_escape(val);
		long ri = addr_known ? ml_space_find(t->s, addr) : -1;
		emit(t, "preload-env", v == 2 ? ML_SEV_LOW : ML_SEV_MEDIUM, addr_known, addr, addr + len, ri, ev,
		     "the dynamic loader was told to load or look elsewhere: %s", esc);
		free(esc);
		free(val);
	}
}

/* Field n (1-based, after the comm) of /proc/PID/stat. */
static bool stat_field(int pid, int n, uint64_t *v)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/%d/stat", pid);
	char *s = ml_read_text(p, 8192, NULL);
	if (!s)
		return false;
	char *q = strrchr(s, ')');
	bool ok = false;
	/* Field 3 follows ") ". */
	for (int f = 3; q && *q; f++) {
		q = strchr(q, ' ');
		if (!q)
			break;
		q++;
		if (f == n) {
			char *num = ml_strndup(q, strcspn(q, " \n"));
			ok = ml_parse_uint(num, 0, UINT64_MAX, v) == 0;
			free(num);
			break;
		}
	}
	free(s);
	return ok;
}

static void check_env_live(struct tj *t)
{
	char p[64];
	size_t len;
	snprintf(p, sizeof p, "/proc/%d/environ", t->s->pid);
	char *env = ml_read_text(p, (size_t)8 << 20, &len);
	if (!env)
		return;
	uint64_t base = 0;
	bool known = stat_field(t->s->pid, 50, &base) && base;
	for (size_t o = 0; o < len;) {
		size_t l = strnlen(env + o, len - o);
		env_entry(t, env + o, l, base + o, known);
		o += l + 1;
	}
	free(env);
}

/*
 * A dump: the kernel put the strings of the environment at the top of the
 * main thread's stack — an 8-byte end marker at the very top, the
 * executable's name below it, then the environment and argument strings,
 * one contiguous block of text.  Only that block is read: stale copies of
 * a variable elsewhere on the stack are not the environment.
 */
static void check_env_dump(struct tj *t)
{
	long best = -1;
	for (size_t i = 0; i < t->s->n; i++)
		if (t->s->r[i].kind == ML_KIND_STACK)
			best = (long)i;
	if (best < 0)
		return;
	const struct ml_region *r = &t->s->r[best];
	uint64_t end = ml_region_cap_end(r), start = end - ML_MIN(end - r->start, ENV_SCAN);
	if (end - start < 16)
		return;
	size_t n = (size_t)(end - start);
	uint8_t *b = ml_malloc(n);
	if (ml_read_mem(t->s, start, n, b) != n || memcmp(b + n - 8, "\0\0\0\0\0\0\0\0", 8)) {
		free(b);
		return;
	}
	size_t lo = n - 8;
	while (lo > 0 && (b[lo - 1] == 0 || b[lo - 1] == '\t' || (b[lo - 1] >= 0x20 && b[lo - 1] < 0x7f)))
		lo--;
	for (size_t o = lo; o < n - 8;) {
		size_t l = strnlen((const char *)b + o, n - 8 - o);
		/* A string cut by the block's start is not a whole one. */
		if (l && (o > lo || o == 0 || b[o - 1] == 0))
			env_entry(t, (const char *)b + o, l, start + o, true);
		o += l + 1;
	}
	free(b);
}

static void check_tracer(struct tj *t)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/%d/status", t->s->pid);
	char *st = ml_read_text(p, 65536, NULL);
	if (!st)
		return;
	char *q = strstr(st, "\nTracerPid:");
	uint64_t tp = 0;
	if (q) {
		q += 11;
		q += strspn(q, " \t");
		char *e = ml_strndup(q, strcspn(q, "\n"));
		if (ml_parse_uint(e, 0, INT32_MAX, &tp))
			tp = 0;
		free(e);
	}
	free(st);
	/* --freeze makes memlens the tracer: that is not a finding. */
	if (!tp || (int)tp == (int)getpid())
		return;
	json_t *ev = json_object();
	json_object_set_new(ev, "tracer_pid", json_integer((json_int_t)tp));
	snprintf(p, sizeof p, "/proc/%d/comm", (int)tp);
	char *comm = ml_read_text(p, 4096, NULL);
	if (comm)
		comm[strcspn(comm, "\n")] = '\0';
	json_object_set_new(ev, "tracer_comm", ml_json_str(comm));
	char *esc = comm ? ml_escape(comm) : ml_strdup("?");
	emit(t, "ptraced", ML_SEV_MEDIUM, false, 0, 0, -1, ev, "the process is being traced by pid %d (%s)",
	     (int)tp, esc);
	free(esc);
	free(comm);
}

static void check_exe(struct tj *t)
{
	/* The executable: its mappings, lowest first. */
	const char *exe = NULL;
	char link[4096];
	bool deleted = false, replaced = false;
	if (ml_space_can(t->s, ML_CAP_LIVE)) {
		char p[64];
		snprintf(p, sizeof p, "/proc/%d/exe", t->s->pid);
		ssize_t n = readlink(p, link, sizeof link - 1);
		if (n <= 0)
			return;
		link[n] = '\0';
		static const char del[] = " (deleted)";
		size_t l = (size_t)n;
		if (l > sizeof del - 1 && !strcmp(link + l - (sizeof del - 1), del)) {
			link[l - (sizeof del - 1)] = '\0';
			deleted = true;
		}
		exe = link;
	}
	uint64_t a = UINT64_MAX, b = 0;
	long first = -1;
	for (size_t i = 0; i < t->s->n; i++) {
		const struct ml_region *r = &t->s->r[i];
		if (r->kind != ML_KIND_FILE || !r->path)
			continue;
		if (!exe)
			exe = r->path;	/* a dump: the lowest mapped file */
		if (strcmp(r->path, exe))
			continue;
		if (first < 0)
			first = (long)i;
		a = ML_MIN(a, r->start);
		b = ML_MAX(b, r->end);
		deleted |= r->deleted;
	}
	if (first < 0)
		return;
	const struct ml_region *r = &t->s->r[first];
	if (!deleted && ml_space_can(t->s, ML_CAP_LIVE)) {
		struct stat st;
		replaced = stat(exe, &st) == 0 &&
			   (st.st_ino != r->inode || major(st.st_dev) != r->dev_major || minor(st.st_dev) != r->dev_minor);
	}
	char *p = ml_escape(exe);
	if (starts_with(exe, "/memfd:")) {
		/* A memfd always reads "(deleted)": say what it is instead. */
		emit(t, "exe-memfd", ML_SEV_HIGH, true, a, b, first, head_json(t, a, false),
		     "the process runs from a memfd (%s), a file only in memory", p);
		free(p);
		return;
	}
	if (!deleted && !replaced) {
		free(p);
		return;
	}
	emit(t, "exe-deleted", ML_SEV_HIGH, true, a, b, first, head_json(t, a, false),
	     deleted ? "the executable %s was deleted after it started" :
		       "the executable %s was replaced on disk after it started", p);
	free(p);
}

/* ---- YARA ---- */

struct yctx {
	struct tj *t;
	const char *rule;
	long region;
	uint64_t a, b, n;
	json_t *hits;
};

static void yara_flush(struct yctx *y)
{
	if (!y->rule)
		return;
	json_t *ev = head_json(y->t, y->a, false);
	json_object_set_new(ev, "matches", y->hits);
	emit(y->t, "yara", ML_SEV_HIGH, true, y->a, y->b, y->region, ev, "YARA rule %s matched %llu time%s",
	     y->rule, (unsigned long long)y->n, y->n == 1 ? "" : "s");
	free((char *)y->rule);
	y->rule = NULL;
	y->hits = NULL;
}

static int yara_match(void *ctx, const struct ml_find_match *m)
{
	struct yctx *y = ctx;
	long ri = ml_space_find(y->t->s, m->addr);
	if (!y->rule || strcmp(y->rule, m->rule) || ri != y->region) {
		yara_flush(y);
		y->rule = ml_strdup(m->rule);
		y->region = ri;
		y->a = m->addr;
		y->b = m->addr + m->len;
		y->n = 0;
		y->hits = json_array();
	}
	y->a = ML_MIN(y->a, m->addr);
	y->b = ML_MAX(y->b, m->addr + m->len);
	if (y->n++ < 16) {
		json_t *h = json_object();
		json_object_set_new(h, "id", ml_json_str(m->id));
		json_object_set_new(h, "address", ml_json_hex(m->addr));
		json_object_set_new(h, "length", json_integer((json_int_t)m->len));
		json_array_append_new(y->hits, h);
	}
	return 0;
}

static void check_yara(struct tj *t)
{
	struct ml_selection sel;
	ml_select(t->s, NULL, 0, &sel);
	struct yctx y = { .t = t, .region = -1 };
	uint64_t scanned, holes;
	(void)ml_yara_scan(t->o->yara, t->s, &sel, yara_match, NULL, &y, &scanned, &holes);
	yara_flush(&y);
	ml_selection_free(&sel);
}

int ml_triage(struct ml_space *s, const struct ml_triage_opts *o, ml_finding_cb cb, void *ctx)
{
	struct tj *t = ml_calloc(1, sizeof *t);
	t->s = s;
	t->o = o;
	t->cb = cb;
	t->ctx = ctx;
	t->cs_ok = cs_open(CS_ARCH_X86, CS_MODE_64, &t->cs) == CS_ERR_OK;
	for (unsigned n = 1; n <= PAGE; n++)
		t->nlogn[n] = n * log2((double)n);
	check_regions(t);
	check_exe(t);
	if (ml_space_can(s, ML_CAP_LIVE)) {
		check_env_live(t);
		check_tracer(t);
	} else if (ml_space_can(s, ML_CAP_PROCESS)) {
		check_env_dump(t);
	}
	check_content(t);
	check_code(t);
	if (o->yara)
		check_yara(t);
	if (t->cs_ok)
		cs_close(&t->cs);
	free(t);
	return 0;
}
