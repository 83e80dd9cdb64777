/*
 * cmd_heap: `memlens heap` — glibc malloc's heaps of a live process or a
 * core, found without debug symbols (heap_glibc.c does the finding and
 * walking).  Output: an allocmap-style terminal map (one half-block pixel
 * per 8 granules of 16 bytes, nine grays for 0-8 granules in use), a PNG
 * with one pixel per granule coloured by what the chunk is, or JSON with
 * per-arena counts and, with --chunks, every chunk.  JSON chunks are
 * written one object at a time so a million chunks do not sit in memory.
 */
#include "config.h"
#include "commands.h"
#include "cli.h"
#include "heap_glibc.h"
#include "json.h"
#include "output.h"
#include "pixel.h"
#include "termwrap.h"
#include "unitmap.h"
#include "util.h"
#include "ansi.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const char cmd_heap_help[] =
	"Usage: memlens heap SOURCE [-o OUT.png] [--json [--chunks]] [--color auto|always|never]\n"
	"Maps glibc malloc's heaps (glibc 2.26 to 2.41, x86-64) of a live process or\n"
	"an ELF core, without debug symbols: main_arena is found in libc's data and\n"
	"cross-checked against a chunk-by-chunk walk of the main heap; thread arenas\n"
	"come through its next list and heap_info; free chunks are told apart by\n"
	"list (tcache, fastbin, unsorted, small, large) and the top chunk.\n"
	"The terminal map gives each cell 8 granules of 16 bytes, shaded by how\n"
	"many are in use (0-8).\n\n"
	"  --json                per-arena counts as JSON\n"
	"  --chunks              with --json: every chunk, with its state and bin\n"
	"  -o, --output OUT.png  a picture: one pixel per granule, coloured by kind\n"
	"                        (the colours are in the PNG's Legend text)\n"
	"  --width N             cells per terminal line (default 80) or pixels per\n"
	"                        PNG row (default 256: one row per 4 KiB)\n"
	"  --color auto|always|never  colour in the terminal map (default auto)\n"
	"  --glibc 2.NN          use this version's layout instead of detecting it\n\n";

enum { OPT_CHUNKS = ML_OPT_FIRST_CMD, OPT_COLOR, OPT_GLIBC, OPT_WIDTH };

/* heap's own options; -o, --json and the source options are cli.c's. */
const struct option cmd_heap_opts[] = {
	{ "chunks", no_argument, NULL, OPT_CHUNKS },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "glibc", required_argument, NULL, OPT_GLIBC },
	{ "width", required_argument, NULL, OPT_WIDTH },
	{ NULL, 0, NULL, 0 },
};

/* Picture palette: index → colour and name. */
enum {
	PX_OUTSIDE, PX_USED_A, PX_USED_B, PX_TCACHE, PX_FASTBIN, PX_UNSORTED, PX_SMALL, PX_LARGE,
	PX_TOP, PX_MMAPPED, PX_UNLISTED, PX_UNWALKED, PX_SEPARATOR, PX__COUNT
};
static const struct {
	const char *name;
	uint8_t rgb[3];
} px[PX__COUNT] = {
	[PX_OUTSIDE] = { "unused (outside the heap)", { ML_UNUSED_R, ML_UNUSED_G, ML_UNUSED_B } },
	[PX_USED_A] = { "in use", { 210, 210, 210 } },
	[PX_USED_B] = { "in use (next chunk)", { 150, 150, 150 } },
	[PX_TCACHE] = { "free: tcache", { 220, 60, 220 } },
	[PX_FASTBIN] = { "free: fastbin", { 240, 140, 30 } },
	[PX_UNSORTED] = { "free: unsorted bin", { 40, 200, 220 } },
	[PX_SMALL] = { "free: small bin", { 40, 110, 240 } },
	[PX_LARGE] = { "free: large bin", { 130, 60, 230 } },
	[PX_TOP] = { "free: top chunk", { 30, 160, 60 } },
	[PX_MMAPPED] = { "in use: mmapped chunk", { 230, 210, 40 } },
	[PX_UNLISTED] = { "free but in no list", { 220, 30, 30 } },
	[PX_UNWALKED] = { "not walked (after a broken chunk)", { 90, 0, 0 } },
	[PX_SEPARATOR] = { "separator between heaps", { 255, 255, 255 } },
};

static const uint8_t bin_px[ML_HB__COUNT] = {
	[ML_HB_NONE] = PX_USED_A, [ML_HB_TCACHE] = PX_TCACHE, [ML_HB_FASTBIN] = PX_FASTBIN,
	[ML_HB_UNSORTED] = PX_UNSORTED, [ML_HB_SMALL] = PX_SMALL, [ML_HB_LARGE] = PX_LARGE,
	[ML_HB_TOP] = PX_TOP, [ML_HB_MMAPPED] = PX_MMAPPED, [ML_HB_FREE_UNLISTED] = PX_UNLISTED,
};

#define GRAN 16
#define CELL_GRANS 8
#define CELL_BYTES (GRAN * CELL_GRANS)

struct job {
	struct ml_cli cli;
	bool json, chunks, color;
	const char *out, *color_word, *glibc;
	const char *other, *other_path;	/* another allocator the process maps, and its file */
	uint64_t width;
	struct ml_space *s;
	struct ml_hmem m;
	struct ml_heapinfo h;
	/* drawing: where the next chunk is expected (a gap before it is drawn as not a chunk) */
	uint64_t pos;
	/* terminal map: the cell being summed (granules in use, 0-8) */
	struct ml_tmap tm;
	uint8_t ansi[CELL_GRANS + 1];
	uint64_t cell;
	uint8_t cell_used;
	/* picture */
	struct ml_upng *png;
	bool used_flip;
	/* json chunks */
	json_t *jchunk;
	bool first_chunk;
};

static size_t space_read(void *ctx, uint64_t addr, size_t n, void *buf, bool *hole)
{
	return ml_space_read(ctx, addr, n, buf, hole);
}

/* ---- terminal map ---- */

static const char shade_chars[] = " .:-=+*#@";

static uint8_t gray_index(unsigned k)
{
	return (uint8_t)(232 + (k * 23 + 4) / 8);
}

/*
 * Clips the run [*addr, *addr + *len) to what follows the last one drawn;
 * returns the gap before it in bytes (a thread heap's heap_info and arena
 * come before its first chunk).
 */
static uint64_t advance(struct job *j, uint64_t *addr, uint64_t *len)
{
	uint64_t gap = *addr > j->pos ? *addr - j->pos : 0;
	if (*addr < j->pos) {
		uint64_t skip = ML_MIN(*len, j->pos - *addr);
		*addr += skip;
		*len -= skip;
	}
	j->pos = *addr + *len;
	return gap;
}

/* Granules [addr, addr+len) are in use (used) or not, in address order. */
static void map_granules(struct job *j, uint64_t addr, uint64_t len, bool used)
{
	uint64_t end = addr + len;
	while (addr < end) {
		if (addr == j->cell && !j->cell_used && end - addr >= CELL_BYTES) {
			/* Whole cells at once: a long run costs no loop per cell. */
			uint64_t k = (end - addr) / CELL_BYTES;
			ml_tmap_put(&j->tm, used ? CELL_GRANS : 0, k);
			addr += k * CELL_BYTES;
			j->cell = addr;
			continue;
		}
		uint64_t cend = j->cell + CELL_BYTES, n = ML_MIN(end, cend) - addr;
		if (used)
			j->cell_used += (uint8_t)(n / GRAN);
		addr += n;
		if (addr == cend) {
			ml_tmap_put(&j->tm, j->cell_used, 1);
			j->cell = cend;
			j->cell_used = 0;
		}
	}
}

static void map_run(struct job *j, uint64_t addr, uint64_t len, bool used)
{
	uint64_t gap = advance(j, &addr, &len);
	if (gap)
		map_granules(j, addr - gap, gap, false);
	map_granules(j, addr, len, used);
}

static int map_cb(void *ctx, const struct ml_hchunk *c)
{
	struct job *j = ctx;
	map_run(j, c->addr, c->size, c->bin == ML_HB_NONE);
	return 0;
}

static void map_section(struct job *j, uint64_t start, uint64_t end, const char *title)
{
	char hb[32];
	printf("%s 0x%" PRIx64 "-0x%" PRIx64 " (%s)\n", title, start, end, ml_human_size(end - start, hb, sizeof hb));
	j->cell = start & ~(uint64_t)(CELL_BYTES - 1);
	j->cell_used = 0;
	j->pos = start;
	ml_tmap_section(&j->tm, j->cell);
}

static void map_end_section(struct job *j, uint64_t end)
{
	if (end > j->cell)
		ml_tmap_put(&j->tm, j->cell_used, 1);	/* the last, partly covered cell */
	ml_tmap_end(&j->tm);
}

static void map_legend(struct job *j)
{
	struct ml_wrap w;
	ml_wrap_start(&w, stdout, ml_term_columns(STDOUT_FILENO), "legend:", " ", 2);
	ml_wrap_text(&w, "one cell = %d granules of %d bytes;", CELL_GRANS, GRAN);
	ml_wrap_text(&w, "shade = granules in use:");
	for (unsigned k = 0; k <= CELL_GRANS; k++) {
		if (j->color) {
			char t[4];
			snprintf(t, sizeof t, "%u", k);
			ml_wrap_item(&w, 4);
			ml_ansi_swatch(stdout, j->ansi[k], t);
		} else {
			ml_wrap_text(&w, "'%c'=%u", shade_chars[k], k);
		}
	}
	ml_wrap_end(&w);
}

/* ---- picture ---- */

/* Granules [addr, addr+len) in one colour, after what came before. */
static int png_put(struct job *j, uint64_t addr, uint64_t len, uint8_t color)
{
	uint64_t gap = advance(j, &addr, &len);
	if (gap && ml_upng_put(j->png, PX_OUTSIDE, gap / GRAN))
		return -1;
	return ml_upng_put(j->png, color, len / GRAN);
}

static int png_cb(void *ctx, const struct ml_hchunk *c)
{
	struct job *j = ctx;
	uint8_t color = bin_px[c->bin];
	if (c->bin == ML_HB_NONE) {
		color = j->used_flip ? PX_USED_B : PX_USED_A;
		j->used_flip = !j->used_flip;
	}
	return png_put(j, c->addr, c->size, color);
}

/* Granules from the row boundary below start (rows of width granules) to start. */
static uint64_t section_lead(const struct job *j, uint64_t start)
{
	return start % (j->width * GRAN) / GRAN;
}

static uint64_t section_rows(const struct job *j, uint64_t start, uint64_t end)
{
	return ml_upng_rows(j->width, section_lead(j, start), (end - start) / GRAN);
}

/* Starts a section at the row boundary below its start. */
static int png_section(struct job *j, uint64_t start)
{
	j->used_flip = false;
	j->pos = start;
	return ml_upng_section(j->png, start, section_lead(j, start));
}

static int png_end_section(struct job *j, uint64_t walked, uint64_t end)
{
	if (walked < end && png_put(j, walked, end - walked, PX_UNWALKED))
		return -1;
	return ml_upng_end_section(j->png);
}

/* ---- json ---- */

static json_t *count_json(struct ml_hcount c)
{
	json_t *o = json_object();
	json_object_set_new(o, "count", json_integer((json_int_t)c.count));
	json_object_set_new(o, "bytes", json_integer((json_int_t)c.bytes));
	return o;
}

static json_t *arena_json(const struct job *j, const struct ml_harena *a)
{
	json_t *o = json_object(), *heaps = json_array(), *fr = json_object();
	json_object_set_new(o, "address", ml_json_hex(a->addr));
	json_object_set_new(o, "main", json_boolean(a->main));
	for (size_t k = 0; k < a->nheaps; k++) {
		json_t *hp = json_object();
		json_object_set_new(hp, "start", ml_json_hex(a->heaps[k].start));
		json_object_set_new(hp, "end", ml_json_hex(a->heaps[k].end));
		json_object_set_new(hp, "heap_info", a->heaps[k].info ? ml_json_hex(a->heaps[k].info) : json_null());
		json_object_set_new(hp, "broken_at", a->heaps[k].broken ? ml_json_hex(a->heaps[k].walk_end) : json_null());
		json_array_append_new(heaps, hp);
	}
	json_object_set_new(o, "heaps", heaps);
	json_object_set_new(o, "top", a->top ? ml_json_hex(a->top) : json_null());
	json_object_set_new(o, "tcache", a->tcache ? ml_json_hex(a->tcache) : json_null());
	json_object_set_new(o, "system_mem", json_integer((json_int_t)a->system_mem));
	json_object_set_new(o, "in_use", count_json(a->in_use));
	struct ml_hcount bins = { 0, 0 }, total = { 0, 0 };
	for (int b = ML_HB_UNSORTED; b <= ML_HB_LARGE; b++) {
		bins.count += a->free[b].count;
		bins.bytes += a->free[b].bytes;
	}
	for (int b = 0; b < ML_HB__COUNT; b++) {
		if (!ml_hbin_free((enum ml_hbin)b))
			continue;
		total.count += a->free[b].count;
		total.bytes += a->free[b].bytes;
	}
	json_object_set_new(fr, "tcache", count_json(a->free[ML_HB_TCACHE]));
	json_object_set_new(fr, "fastbin", count_json(a->free[ML_HB_FASTBIN]));
	json_object_set_new(fr, "bins", count_json(bins));
	json_object_set_new(fr, "unsorted", count_json(a->free[ML_HB_UNSORTED]));
	json_object_set_new(fr, "small", count_json(a->free[ML_HB_SMALL]));
	json_object_set_new(fr, "large", count_json(a->free[ML_HB_LARGE]));
	json_object_set_new(fr, "top", count_json(a->free[ML_HB_TOP]));
	json_object_set_new(fr, "unlisted", count_json(a->free[ML_HB_FREE_UNLISTED]));
	json_object_set_new(fr, "total", count_json(total));
	json_object_set_new(o, "free", fr);
	json_object_set_new(o, "largest_free", json_integer((json_int_t)a->largest_free));
	json_object_set_new(o, "fragmentation",
			    json_real(total.bytes ? 1.0 - (double)a->largest_free / (double)total.bytes : 0.0));
	if (a->main)
		json_object_set_new(o, "mmapped", count_json(a->mmapped));
	(void)j;
	return o;
}

static json_t *root_json(const struct job *j)
{
	json_t *root = json_object();
	json_object_set_new(root, "source", ml_json_source(j->s, NULL, j->h.version[0] ? j->h.version : NULL));
	json_object_set_new(root, "glibc", j->h.version[0] ? json_string(j->h.version) : json_null());
	json_object_set_new(root, "glibc_from", json_string(j->h.version_from));
	char lay[16];
	snprintf(lay, sizeof lay, "2.%u", j->h.L.minor);
	json_object_set_new(root, "layout", json_string(lay));
	json_object_set_new(root, "warnings", json_integer(j->h.warnings));
	json_object_set_new(root, "main_arena_checked", json_boolean(j->h.main_checked));
	json_object_set_new(root, "main_arena_ring", json_boolean(j->h.main_ring));
	json_t *tc = json_array(), *ttc = json_array();
	for (size_t i = 0; i < j->h.ntcaches; i++) {
		const struct ml_htcache *t = &j->h.tcaches[i];
		json_t *o = json_object();
		json_array_append_new(tc, ml_json_hex(t->chunk));
		json_object_set_new(o, "address", ml_json_hex(t->chunk));
		json_object_set_new(o, "arena", t->arena < j->h.narenas ? ml_json_hex(j->h.arenas[t->arena].addr) : json_null());
		json_object_set_new(o, "count", json_integer((json_int_t)t->entries.count));
		json_object_set_new(o, "bytes", json_integer((json_int_t)t->entries.bytes));
		json_array_append_new(ttc, o);
	}
	json_t *mp = json_null();
	if (j->h.mp) {
		mp = json_object();
		json_object_set_new(mp, "address", ml_json_hex(j->h.mp));
		json_object_set_new(mp, "n_mmaps", json_integer((json_int_t)j->h.mp_n_mmaps));
		json_object_set_new(mp, "mmapped_mem", json_integer((json_int_t)j->h.mp_mmapped_mem));
	}
	json_object_set_new(root, "glibc_mp", mp);
	json_object_set_new(root, "tcaches", tc);
	json_object_set_new(root, "thread_tcaches", ttc);
	json_object_set_new(root, "other_allocator", j->other ? json_string(j->other) : json_null());
	json_object_set_new(root, "other_allocator_file", j->other ? ml_json_str(j->other_path) : json_null());
	return root;
}

/* One object, its values replaced for each chunk: a million chunks cost no allocations. */
static int chunk_json(struct job *j, const struct ml_hchunk *c)
{
	char chunk[24], user[24];
	const char *bin = ml_hbin_name(c->bin);
	snprintf(chunk, sizeof chunk, "0x%" PRIx64, c->addr);
	snprintf(user, sizeof user, "0x%" PRIx64, c->addr + 16);
	if (!j->jchunk) {
		j->jchunk = json_object();
		json_object_set_new(j->jchunk, "chunk", json_string(""));
		json_object_set_new(j->jchunk, "user", json_string(""));
		json_object_set_new(j->jchunk, "size", json_integer(0));
		json_object_set_new(j->jchunk, "state", json_string(""));
		json_object_set_new(j->jchunk, "bin", json_null());
	}
	json_string_set(json_object_get(j->jchunk, "chunk"), chunk);
	json_string_set(json_object_get(j->jchunk, "user"), user);
	json_integer_set(json_object_get(j->jchunk, "size"), (json_int_t)c->size);
	json_string_set(json_object_get(j->jchunk, "state"), ml_hbin_free(c->bin) ? "free" : "used");
	json_object_set_new(j->jchunk, "bin", bin ? json_string(bin) : json_null());
	char buf[512];
	size_t n = json_dumpb(j->jchunk, buf, sizeof buf, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!n || n > sizeof buf)
		return -1;
	fputs(j->first_chunk ? "\n" : ",\n", stdout);
	j->first_chunk = false;
	fwrite(buf, 1, n, stdout);
	return 0;
}

static int json_chunk_cb(void *ctx, const struct ml_hchunk *c)
{
	return chunk_json(ctx, c);
}

/* Prints obj without its closing brace (it must be a non-empty object). */
static int print_open(json_t *obj)
{
	char *s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(obj);
	if (!s)
		return -1;
	size_t n = strlen(s);
	fwrite(s, 1, n - 1, stdout);
	free(s);
	return 0;
}

static int emit_json(struct job *j)
{
	if (!j->chunks) {
		json_t *root = root_json(j), *arr = json_array();
		for (size_t i = 0; i < j->h.narenas; i++)
			json_array_append_new(arr, arena_json(j, &j->h.arenas[i]));
		json_object_set_new(root, "arenas", arr);
		return ml_json_print(root, stdout);
	}
	if (print_open(root_json(j)))
		return -1;
	fputs(",\"arenas\":[", stdout);
	for (size_t i = 0; i < j->h.narenas; i++) {
		const struct ml_harena *a = &j->h.arenas[i];
		if (i)
			fputs(",\n", stdout);
		if (print_open(arena_json(j, a)))
			return -1;
		fputs(",\"chunks\":[", stdout);
		j->first_chunk = true;
		for (size_t k = 0; k < a->nheaps; k++)
			if (ml_heap_walk(&j->m, &j->h, i, k, json_chunk_cb, j))
				return -1;
		for (size_t k = 0; a->main && k < j->h.nmmapped; k++) {
			struct ml_hchunk c = { j->h.mmapped[k], j->h.mmapped_size[k], ML_HB_MMAPPED };
			if (chunk_json(j, &c))
				return -1;
		}
		fputs("]}", stdout);
	}
	fputs("]}\n", stdout);
	return 0;
}

/* ---- terminal summary ---- */

static void summary(const struct ml_harena *a)
{
	char b1[32], b2[32];
	uint64_t total = 0;
	for (int b = 0; b < ML_HB__COUNT; b++)
		if (ml_hbin_free((enum ml_hbin)b))
			total += a->free[b].bytes;
	printf("  in use: %" PRIu64 " chunks, %s; free: %s, largest %s, fragmentation %.2f\n", a->in_use.count,
	       ml_human_size(a->in_use.bytes, b1, sizeof b1), ml_human_size(total, b2, sizeof b2),
	       ml_human_size(a->largest_free, (char[32]){ 0 }, 32),
	       total ? 1.0 - (double)a->largest_free / (double)total : 0.0);
	struct ml_wrap w;
	ml_wrap_start(&w, stdout, ml_term_columns(STDOUT_FILENO), "  free by kind:", " ", 4);
	for (int b = ML_HB_TCACHE; b < ML_HB__COUNT; b++) {
		if (!ml_hbin_free((enum ml_hbin)b) || (!a->free[b].count && b == ML_HB_FREE_UNLISTED))
			continue;
		ml_wrap_text(&w, "%s %" PRIu64 " (%s)", ml_hbin_name((enum ml_hbin)b) ? ml_hbin_name((enum ml_hbin)b) : "unlisted",
			     a->free[b].count, ml_human_size(a->free[b].bytes, b1, sizeof b1));
	}
	ml_wrap_end(&w);
}

static int emit_map(struct job *j)
{
	for (unsigned k = 0; k <= CELL_GRANS; k++)
		j->ansi[k] = gray_index(k);
	ml_tmap_init(&j->tm, stdout, (size_t)j->width, j->color, CELL_BYTES, j->ansi, shade_chars, CELL_GRANS + 1);
	printf("glibc %s (%s), %zu arena(s)\n", j->h.version[0] ? j->h.version : "unknown",
	       j->h.version_from, j->h.narenas);
	for (size_t i = 0; i < j->h.narenas; i++) {
		const struct ml_harena *a = &j->h.arenas[i];
		printf("%s arena 0x%" PRIx64 "%s\n", a->main ? "main" : "thread", a->addr,
		       a->nheaps ? "" : ": no heap (malloc has not run yet)");
		for (size_t k = 0; k < a->nheaps; k++) {
			const struct ml_hheap *hp = &a->heaps[k];
			map_section(j, hp->start, hp->end, "heap");
			ml_heap_walk(&j->m, &j->h, i, k, map_cb, j);
			if (hp->walk_end < hp->end)
				printf("  (walk stopped at 0x%" PRIx64 ": the rest is not shown)\n", hp->walk_end);
			map_end_section(j, hp->walk_end);
		}
		summary(a);
	}
	for (size_t k = 0; k < j->h.nmmapped; k++) {
		map_section(j, j->h.mmapped[k], j->h.mmapped[k] + j->h.mmapped_size[k], "mmapped chunk");
		map_run(j, j->h.mmapped[k], j->h.mmapped_size[k], true);
		map_end_section(j, j->h.mmapped[k] + j->h.mmapped_size[k]);
	}
	map_legend(j);
	ml_tmap_free(&j->tm);
	return 0;
}

static int emit_png(struct job *j, struct ml_out *out)
{
	uint64_t rows = 0;
	for (size_t i = 0; i < j->h.narenas; i++)
		for (size_t k = 0; k < j->h.arenas[i].nheaps; k++)
			rows += section_rows(j, j->h.arenas[i].heaps[k].start, j->h.arenas[i].heaps[k].end);
	for (size_t k = 0; k < j->h.nmmapped; k++)
		rows += section_rows(j, j->h.mmapped[k], j->h.mmapped[k] + j->h.mmapped_size[k]);
	if (!rows) {
		ml_err("no heap to draw (malloc has not run yet)");
		return -1;
	}
	if (rows > 0x7fffffff) {
		ml_err("the picture would be %" PRIu64 " rows high: give a larger --width", rows);
		return -1;
	}
	char layout[160];
	struct ml_legend lg = { 0 };
	for (int i = 0; i < PX__COUNT; i++)
		ml_legend_add(&lg, px[i].name, px[i].rgb);
	snprintf(layout, sizeof layout,
		 "one pixel per 16-byte granule, %" PRIu64 " per row; each heap then each mmapped chunk, "
		 "followed by a white row", j->width);
	const char *text[] = { "Software", PACKAGE_STRING, "Legend", lg.text, "Layout", layout };
	uint8_t pal[PX__COUNT][3];
	struct ml_caption_item items[PX__COUNT];
	for (int i = 0; i < PX__COUNT; i++) {
		memcpy(pal[i], px[i].rgb, 3);
		items[i] = (struct ml_caption_item){ { px[i].rgb[0], px[i].rgb[1], px[i].rgb[2] }, px[i].name };
	}
	char title[256], scale[256], hs[32];
	snprintf(title, sizeof title, "memlens heap: %.160s%s%.40s%s", j->s->name, j->s->comm ? " [" : "",
		 j->s->comm ? j->s->comm : "", j->s->comm ? "]" : "");
	snprintf(scale, sizeof scale,
		 "One pixel = one 16-byte granule; rows of %" PRIu64 " granules (%s). Each heap, then each mmapped chunk, from a new row; the labels on the left are each row's first address.",
		 j->width, ml_human_size(j->width * GRAN, hs, sizeof hs));
	struct ml_caption cap = { { title, scale, NULL, NULL }, items, PX__COUNT };
	j->png = ml_upng_begin(out->f, j->out, (uint32_t)j->width, (uint32_t)rows, GRAN, (const uint8_t (*)[3])pal,
			       PX__COUNT, PX_OUTSIDE, PX_SEPARATOR, &cap, text, 3);
	ml_legend_free(&lg);
	if (!j->png)
		return -1;
	for (size_t i = 0; i < j->h.narenas; i++) {
		for (size_t k = 0; k < j->h.arenas[i].nheaps; k++) {
			const struct ml_hheap *hp = &j->h.arenas[i].heaps[k];
			if (png_section(j, hp->start) || ml_heap_walk(&j->m, &j->h, i, k, png_cb, j) ||
			    png_end_section(j, hp->walk_end, hp->end))
				return -1;
		}
	}
	for (size_t k = 0; k < j->h.nmmapped; k++) {
		uint64_t a = j->h.mmapped[k], e = a + j->h.mmapped_size[k];
		if (png_section(j, a) || png_put(j, a, e - a, PX_MMAPPED) || png_end_section(j, e, e))
			return -1;
	}
	struct ml_upng *p = j->png;
	j->png = NULL;
	return ml_upng_end(p);
}

/*
 * Nothing to show is a failure (exit 1) that says why: glibc malloc never
 * ran, or main_arena's top could not be read; and when the process maps
 * another allocator, which.  With a heap, that allocator is a warning:
 * its memory is not in the picture.
 */
static int no_heap(struct job *j)
{
	char note[PATH_MAX + 128];
	size_t heaps = 0;
	for (size_t i = 0; i < j->h.narenas; i++)
		heaps += j->h.arenas[i].nheaps;
	ml_other_allocator_note(j->s->r, j->s->n, note, sizeof note);
	j->other = ml_other_allocator(j->s->r, j->s->n, &j->other_path);
	if (heaps || j->h.nmmapped) {
		if (j->other) {
			char *path = ml_escape(j->other_path);
			ml_warn("the process also uses %s (%s): only glibc malloc's memory is shown", j->other, path);
			free(path);
		}
		return 0;
	}
	const struct ml_harena *a = &j->h.arenas[0];
	if (!j->h.narenas)
		ml_err("no glibc heap: main_arena could not be read%s", note);
	else if (a->top)
		ml_err("no glibc heap: main_arena 0x%" PRIx64 " has its top chunk at 0x%" PRIx64
		       ", which cannot be read%s", a->addr, a->top, note);
	else
		ml_err("no glibc heap: glibc malloc has not made one (main_arena 0x%" PRIx64 " has no top chunk)%s",
		       a->addr, note);
	return -1;
}

static int parse(struct job *j, int argc, char **argv)
{
	int c;
	ml_cli_init(&j->cli, argc, argv);
	while ((c = ml_cli_next(&j->cli)) > 0) {
		switch (c) {
		case OPT_CHUNKS: j->chunks = true; break;
		case OPT_GLIBC: j->glibc = optarg; break;
		case OPT_COLOR:
			if (ml_ansi_want_color(optarg, stdout) < 0)
				return ml_usage_error("--color %s: expected auto, always or never", optarg), -1;
			j->color_word = optarg;
			break;
		case OPT_WIDTH:
			if (ml_parse_uint(optarg, 1, 65536, &j->width))
				return ml_usage_error("--width %s: expected 1 to 65536", optarg), -1;
			break;
		}
	}
	if (c < 0 || ml_cli_done(&j->cli))
		return -1;
	j->json = j->cli.json;
	j->out = j->cli.out;
	if (j->chunks && !j->json)
		return ml_cli_refuse("--chunks", "it lists chunks in --json");
	if (j->out && j->json)
		return ml_usage_error("-o draws a picture; it does not go with --json"), -1;
	if (j->out && strcasecmp(ml_path_ext(j->out), "png") &&
	    (*ml_path_ext(j->out) || !ml_out_is_stream(j->out)))
		return ml_usage_error("%s: the picture is a PNG (name it .png)", j->out), -1;
	if (j->width && j->json)
		return ml_cli_refuse("--width", "it shapes the map or the picture, not --json");
	if (j->width > 1024 && !j->out)
		return ml_usage_error("--width %llu: the terminal map takes 1 to 1024 cells a line",
				      (unsigned long long)j->width), -1;
	if (j->color_word && (j->out || j->json))
		return ml_cli_refuse("--color", "it colours the terminal map; this run prints none");
	unsigned minor;
	if (j->glibc && ml_glibc_version_parse(j->glibc, &minor))
		return ml_usage_error("--glibc %s: expected 2.26 to 2.41", j->glibc), -1;
	return 0;
}

int cmd_heap(int argc, char **argv)
{
	struct job j = { 0 };
	struct ml_selection sel = { 0 };
	struct ml_out out;
	bool out_open = false;
	int ret = ML_EXIT_USAGE;
	if (parse(&j, argc, argv))
		goto done;
	if ((ret = ml_cli_open(&j.cli, &j.s, &sel)))
		goto done;
	ret = ML_EXIT_FAIL;
	if (!ml_space_can(j.s, ML_CAP_PROCESS))
		ml_warn("%s is a %s dump: without mappings and paths, libc is hard to find", j.s->name,
			ml_space_kind(j.s));
	j.m = (struct ml_hmem){ .read = space_read, .ctx = j.s, .r = j.s->r, .nr = j.s->n };
	if (ml_heap_analyse(&j.m, j.glibc, &j.h) || no_heap(&j))
		goto done;
	if (!j.width)
		j.width = j.out ? 256 : 80;
	j.color = ml_ansi_want_color(j.color_word, stdout) > 0;
	if (j.out) {
		if (ml_out_open(&out, j.out, j.s))
			goto done;
		out_open = true;
		if (emit_png(&j, &out))
			goto done;
	} else if (j.json) {
		if (emit_json(&j))
			goto done;
	} else {
		emit_map(&j);
	}
	if (ml_stdout_done()) {
		goto done;
	}
	/* Decided before the commit: a run that exits 1 leaves no file. */
	ret = ml_cli_finish(&j.cli, j.s->exited || j.s->truncated);
	if (ret == ML_EXIT_OK && out_open && ml_out_commit(&out))
		ret = ML_EXIT_FAIL;
	out_open = false;
done:
	ml_upng_abort(j.png);
	if (out_open)
		ml_out_abort(&out);
	json_decref(j.jchunk);
	ml_heap_free(&j.m, &j.h);
	ml_selection_free(&sel);
	ml_space_close(j.s);
	ml_cli_free(&j.cli);
	return ret;
}
