/*
 * cmd_regions: `memlens regions SOURCE [--json]` — the region model of any
 * source as a table or as JSON, with totals of what was captured.
 */
#include "config.h"
#include "commands.h"
#include "cli.h"
#include "util.h"
#include "json.h"

#include <stdlib.h>
#include <string.h>

const char cmd_regions_help[] =
	"Usage: memlens regions SOURCE [--json] [OPTIONS]\n"
	"List the regions of a live process, an ELF core, a LiME or a raw dump:\n"
	"start, end, size, permissions, kind, captured bytes, file offset, path.\n\n"
	"  --json                print JSON instead of a table\n\n";

const struct option cmd_regions_opts[] = {
	{ NULL, 0, NULL, 0 },
};

static json_t *piece_json(const struct ml_space *s, const struct ml_piece *p, uint64_t captured)
{
	const struct ml_region *r = &s->r[p->region];
	char perms[5];
	json_t *o = json_object();
	ml_perms_str(r->prot, perms);
	json_object_set_new(o, "start", ml_json_hex(p->start));
	json_object_set_new(o, "end", ml_json_hex(p->end));
	json_object_set_new(o, "size", json_integer((json_int_t)(p->end - p->start)));
	json_object_set_new(o, "perms", json_string(perms));
	json_object_set_new(o, "kind", json_string(ml_kind_name(r->kind)));
	json_object_set_new(o, "path", ml_json_str(r->path));
	if (r->deleted)
		json_object_set_new(o, "deleted", json_true());
	json_object_set_new(o, "file_offset",
			    json_integer((json_int_t)(r->file_offset + (p->start - r->start))));
	json_object_set_new(o, "captured", json_integer((json_int_t)captured));
	return o;
}

/*
 * One region object at a time, so memory stays flat and 10,000 regions
 * print in milliseconds; jansson still does every string's escaping.
 */
static int dump(json_t *j, FILE *f)
{
	int r = json_dumpf(j, f, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	return r;
}

static int print_json(const struct ml_space *s, const struct ml_selection *sel, uint64_t *size_out,
		      uint64_t *cap_out)
{
	uint64_t size = 0, cap = 0;
	fputs("{\"source\": ", stdout);
	if (dump(ml_json_source(s, NULL, NULL), stdout))
		return -1;
	fputs(",\n \"regions\": [", stdout);
	for (size_t i = 0; i < sel->n; i++) {
		uint64_t c = ml_piece_captured(s, &sel->p[i]);
		fputs(i ? ",\n  " : "\n  ", stdout);
		if (dump(piece_json(s, &sel->p[i], c), stdout))
			return -1;
		size += sel->p[i].end - sel->p[i].start;
		cap += c;
	}
	*size_out = size;
	*cap_out = cap;
	json_t *tot = json_object();
	json_object_set_new(tot, "regions", json_integer((json_int_t)sel->n));
	json_object_set_new(tot, "size", json_integer((json_int_t)size));
	json_object_set_new(tot, "captured", json_integer((json_int_t)cap));
	fputs("],\n \"totals\": ", stdout);
	if (dump(tot, stdout))
		return -1;
	fputs("}\n", stdout);
	return ferror(stdout) ? -1 : 0;
}

/* "0x1a2b": hex with 0x, also for 0 (which %#llx prints as plain "0"). */
static const char *hex(uint64_t v, char *buf, size_t len)
{
	snprintf(buf, len, "0x%llx", (unsigned long long)v);
	return buf;
}

static void print_table(const struct ml_space *s, const struct ml_selection *sel, uint64_t *size_out,
			uint64_t *cap_out)
{
	char h1[32], h2[32];
	printf("# %s source ", ml_space_kind(s));
	ml_fputs_source(stdout, s);
	if (s->truncated)
		printf(", truncated: %s missing", ml_human_size(s->missing, h1, sizeof h1));
	putchar('\n');
	/* What the kind has to say of itself (a vmcore's VMCOREINFO), one comment line each. */
	for (const char *l = s->info; l && *l;) {
		size_t n = strcspn(l, "\n");
		char *e = ml_escape_n(l, n);
		printf("# %s\n", e);
		free(e);
		l += n + (l[n] == '\n');
	}
	printf("%-18s %-18s %10s %-5s %-8s %10s %10s  %s\n", "START", "END", "SIZE", "PERMS",
	       "KIND", "CAPTURED", "OFFSET", "PATH");
	uint64_t size = 0, cap = 0;
	for (size_t i = 0; i < sel->n; i++) {
		const struct ml_piece *p = &sel->p[i];
		const struct ml_region *r = &s->r[p->region];
		char perms[5], off[24];
		uint64_t c = ml_piece_captured(s, p);
		ml_perms_str(r->prot, perms);
		/* "0x%016llx", not "%#018llx": # drops the 0x of a zero address */
		printf("0x%016llx 0x%016llx %10s %-5s %-8s %10s %10s  ",
		       (unsigned long long)p->start, (unsigned long long)p->end,
		       ml_human_size(p->end - p->start, h1, sizeof h1), perms, ml_kind_name(r->kind),
		       ml_human_size(c, h2, sizeof h2), hex(r->file_offset + (p->start - r->start), off, sizeof off));
		if (r->path)
			ml_fputs_escaped(stdout, r->path);
		if (r->deleted)
			fputs(" (deleted)", stdout);
		putchar('\n');
		size += p->end - p->start;
		cap += c;
	}
	printf("# %zu region%s, %s, %s captured", sel->n, sel->n == 1 ? "" : "s", ml_human_size(size, h1, sizeof h1),
	       ml_human_size(cap, h2, sizeof h2));
	if (size)
		printf(" (%.1f%%)", 100.0 * (double)cap / (double)size);
	putchar('\n');
	*size_out = size;
	*cap_out = cap;
}

int cmd_regions(int argc, char **argv)
{
	struct ml_cli cli;
	int c, ret = ML_EXIT_USAGE;
	ml_cli_init(&cli, argc, argv);
	while ((c = ml_cli_next(&cli)) > 0)
		;	/* regions has no options of its own */
	if (c < 0 || ml_cli_done(&cli))
		goto out;
	struct ml_space *s;
	struct ml_selection sel;
	if ((ret = ml_cli_open(&cli, &s, &sel)))
		goto out;
	ret = ML_EXIT_FAIL;
	uint64_t size = 0, cap = 0;
	if (cli.json) {
		/* It only fails writing: ml_stdout_done() below says why. */
		(void)print_json(s, &sel, &size, &cap);
	} else {
		print_table(s, &sel, &size, &cap);
	}
	if (ml_stdout_done()) {
		goto close;
	}
	/* --strict: a selection the source could not deliver in full is incomplete. */
	ret = ml_cli_finish(&cli, s->truncated || cap < size);
close:
	ml_selection_free(&sel);
	ml_space_close(s);
out:
	ml_cli_free(&cli);
	return ret;
}
