/*
 * cmd_triage: `memlens triage SOURCE | --system` — what looks wrong, as a
 * table sorted by severity, JSON, or JSON lines for collectors.  Findings
 * come from triage.c; this file gathers them per process, sorts and prints
 * them, and for --system walks every process, counting the ones it cannot
 * read by reason instead of stopping.
 */
#include "config.h"
#include "commands.h"
#include "cli.h"
#include "find_yara.h"
#include "json.h"
#include "procs.h"
#include "triage.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char cmd_triage_help[] =
	"Usage: memlens triage SOURCE [OPTIONS]\n"
	"       memlens triage --system [OPTIONS]\n"
	"Report what looks wrong: executable memory no file backs (anon-exec), writable\n"
	"code (wx), code from memfds, deleted or temporary files, ELF/PE images in\n"
	"anonymous memory, code that differs from its file on disk (code-modified),\n"
	"loader variables (preload-env), a tracer (ptraced), a deleted executable\n"
	"(exe-deleted), near-random memory (high-entropy) and YARA matches.\n\n"
	"  --system              every readable process\n"
	"  --yara RULES          also report YARA matches (a file or a directory)\n"
	"  --severity LEVEL      only findings at or above info, low, medium or high\n"
	"  --jsonl               one JSON object per finding, a line each (with its source)\n\n";

enum {
	OPT_SYSTEM = ML_OPT_FIRST_CMD,
	OPT_YARA,
	OPT_SEVERITY,
	OPT_JSONL,
};

const struct option cmd_triage_opts[] = {
	{ "system", no_argument, NULL, OPT_SYSTEM },
	{ "yara", required_argument, NULL, OPT_YARA },
	{ "severity", required_argument, NULL, OPT_SEVERITY },
	{ "jsonl", no_argument, NULL, OPT_JSONL },
	{ NULL, 0, NULL, 0 },
};

enum out_mode { OUT_TABLE, OUT_JSON, OUT_JSONL };

struct found {
	const char *id;
	enum ml_sev sev;
	bool has_range;
	uint64_t start, end;
	long region;
	char *reason;
	json_t *evidence;
};

struct proc {
	struct found *f;
	size_t n, cap;
	enum ml_sev min;
};

struct job {
	enum out_mode out;
	enum ml_sev min;
	struct ml_triage_opts topts;
	uint64_t by_sev[4];
	uint64_t findings;
	bool first_json;	/* no process object printed yet (--system --json) */
};

static void on_finding(void *ctx, const struct ml_finding *f)
{
	struct proc *p = ctx;
	if (f->sev < p->min)
		return;
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->f = ml_reallocarray(p->f, p->cap, sizeof *p->f);
	}
	p->f[p->n++] = (struct found){ f->id, f->sev, f->has_range, f->start, f->end, f->region,
				       ml_strdup(f->reason), json_incref(f->evidence) };
}

static int cmp_found(const void *x, const void *y)
{
	const struct found *a = x, *b = y;
	if (a->sev != b->sev)
		return a->sev > b->sev ? -1 : 1;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return strcmp(a->id, b->id);
}

static void proc_free(struct proc *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->f[i].reason);
		json_decref(p->f[i].evidence);
	}
	free(p->f);
	memset(p, 0, sizeof *p);
}

static json_t *finding_json(const struct ml_space *s, const struct found *f)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(f->id));
	json_object_set_new(o, "severity", json_string(ml_sev_name(f->sev)));
	json_object_set_new(o, "start", f->has_range ? ml_json_hex(f->start) : json_null());
	json_object_set_new(o, "end", f->has_range ? ml_json_hex(f->end) : json_null());
	if (f->region >= 0 && (size_t)f->region < s->n) {
		const struct ml_region *r = &s->r[f->region];
		json_t *rj = json_object();
		char perms[5];
		ml_perms_str(r->prot, perms);
		json_object_set_new(rj, "start", ml_json_hex(r->start));
		json_object_set_new(rj, "end", ml_json_hex(r->end));
		json_object_set_new(rj, "perms", json_string(perms));
		json_object_set_new(rj, "kind", json_string(ml_kind_name(r->kind)));
		json_object_set_new(rj, "path", ml_json_str(r->path));
		if (r->deleted)
			json_object_set_new(rj, "deleted", json_true());
		json_object_set_new(o, "region", rj);
	} else {
		json_object_set_new(o, "region", json_null());
	}
	json_object_set_new(o, "reason", ml_json_str(f->reason));
	json_object_set_new(o, "evidence", json_incref(f->evidence));
	return o;
}

static int dump(json_t *v)
{
	int r = json_dumpf(v, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(v);
	return r;
}

static void print_evidence(const json_t *ev)
{
	const char *hex = json_string_value(json_object_get(ev, "hex"));
	const char *asc = json_string_value(json_object_get(ev, "ascii"));
	if (hex) {
		/* The first 16 bytes: enough to recognise, short enough to read. */
		printf("      bytes  %.47s  |%.16s|\n", hex, asc ? asc : "");
	}
	const json_t *d = json_object_get(ev, "disasm");
	for (size_t i = 0; d && i < json_array_size(d) && i < 4; i++) {
		fputs(i ? "             " : "      code   ", stdout);
		ml_fputs_escaped(stdout, json_string_value(json_array_get(d, i)));
		putchar('\n');
	}
	const char *var = json_string_value(json_object_get(ev, "variable"));
	if (var) {
		fputs("      env    ", stdout);
		ml_fputs_escaped(stdout, var);
		putchar('\n');
	}
}

static void print_table(const struct ml_space *s, const struct proc *p)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct found *f = &p->f[i];
		printf("%-6s %-15s ", ml_sev_name(f->sev), f->id);
		if (f->has_range)
			printf("%#018llx-%#018llx ", (unsigned long long)f->start, (unsigned long long)f->end);
		else
			printf("%-37s ", "-");
		ml_fputs_escaped(stdout, f->reason);
		if (f->region >= 0 && s->r[f->region].path && strcmp(f->id, "code-modified") &&
		    strcmp(f->id, "code-unverified") && strcmp(f->id, "exe-deleted")) {
			fputs(" [", stdout);
			ml_fputs_escaped(stdout, s->r[f->region].path);
			fputc(']', stdout);
		}
		putchar('\n');
		print_evidence(f->evidence);
	}
}

static void count(struct job *j, const struct proc *p)
{
	for (size_t i = 0; i < p->n; i++)
		j->by_sev[p->f[i].sev]++;
	j->findings += p->n;
}

static json_t *totals_json(const struct job *j)
{
	json_t *t = json_object();
	json_object_set_new(t, "findings", json_integer((json_int_t)j->findings));
	json_t *s = json_object();
	for (int i = ML_SEV_HIGH; i >= ML_SEV_INFO; i--)
		json_object_set_new(s, ml_sev_name((enum ml_sev)i), json_integer((json_int_t)j->by_sev[i]));
	json_object_set_new(t, "by_severity", s);
	return t;
}

/* Prints one process's findings in the chosen form. */
static void print_proc(struct job *j, const struct ml_space *s, const struct proc *p, bool system)
{
	if (j->out == OUT_JSONL) {
		for (size_t i = 0; i < p->n; i++) {
			json_t *o = finding_json(s, &p->f[i]);
			json_object_set_new(o, "source", ml_json_source(s, NULL, NULL));
			json_object_set_new(o, "schema", json_integer(ML_TRIAGE_SCHEMA));
			dump(o);
			putchar('\n');
		}
		return;
	}
	if (j->out == OUT_JSON) {
		if (system) {
			fputs(j->first_json ? "\n  " : ",\n  ", stdout);
			j->first_json = false;
			fputs("{\"source\": ", stdout);
			dump(ml_json_source(s, NULL, NULL));
			fputs(", \"findings\": [", stdout);
		}
		for (size_t i = 0; i < p->n; i++) {
			fputs(i ? (system ? ",\n    " : ",\n  ") : (system ? "\n    " : "\n  "), stdout);
			dump(finding_json(s, &p->f[i]));
		}
		if (system)
			fputs("]}", stdout);
		return;
	}
	if (system) {
		uint64_t bs[4] = { 0 };
		for (size_t i = 0; i < p->n; i++)
			bs[p->f[i].sev]++;
		printf("# pid %d (", s->pid);
		ml_fputs_escaped(stdout, s->comm ? s->comm : "?");
		printf("): %zu finding%s", p->n, p->n == 1 ? "" : "s");
		if (p->n)
			printf(" (high %llu, medium %llu, low %llu, info %llu)", (unsigned long long)bs[3],
			       (unsigned long long)bs[2], (unsigned long long)bs[1], (unsigned long long)bs[0]);
		putchar('\n');
	}
	print_table(s, p);
}

static void triage_one(struct job *j, struct ml_space *s, bool system)
{
	struct proc p = { .min = j->min };
	ml_triage(s, &j->topts, on_finding, &p);
	if (p.n)
		qsort(p.f, p.n, sizeof *p.f, cmp_found);
	count(j, &p);
	print_proc(j, s, &p, system);
	proc_free(&p);
}

static int system_one(void *ctx, struct ml_space *s)
{
	triage_one(ctx, s, true);
	return ferror(stdout) ? -1 : 0;
}

static int run_system(struct job *j, const struct ml_open_opts *oo)
{
	struct ml_unreadable u;
	if (j->out == OUT_JSON) {
		fputs("{\"source\": ", stdout);
		dump(ml_json_source(NULL, "system", NULL));
		fputs(",\n \"schema\": " ML_STR(ML_TRIAGE_SCHEMA) ",\n \"processes\": [", stdout);
	}
	j->first_json = true;
	if (ml_for_each_process(oo, system_one, j, &u) < 0 && !ferror(stdout)) {
		ml_unreadable_free(&u);
		return ML_EXIT_FAIL;
	}
	if (j->out == OUT_JSON) {
		fputs("],\n \"unreadable\": ", stdout);
		dump(ml_json_unreadable(&u));
		json_t *t = totals_json(j);
		json_object_set_new(t, "processes", json_integer((json_int_t)u.done));
		json_object_set_new(t, "kernel_threads", json_integer((json_int_t)u.kernel));
		json_object_set_new(t, "unreadable", json_integer((json_int_t)u.total));
		fputs(",\n \"totals\": ", stdout);
		dump(t);
		fputs("}\n", stdout);
	} else if (j->out == OUT_TABLE) {
		printf("# %llu processes triaged, %llu findings (high %llu, medium %llu, low %llu, info %llu)\n",
		       (unsigned long long)u.done, (unsigned long long)j->findings,
		       (unsigned long long)j->by_sev[3], (unsigned long long)j->by_sev[2],
		       (unsigned long long)j->by_sev[1], (unsigned long long)j->by_sev[0]);
		ml_print_unreadable(stdout, &u);
	}
	ml_unreadable_free(&u);
	return ML_EXIT_OK;
}

static int parse_sev(const char *a, enum ml_sev *s)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(a, ml_sev_name((enum ml_sev)i))) {
			*s = (enum ml_sev)i;
			return 0;
		}
	return -1;
}

int cmd_triage(int argc, char **argv)
{
	struct ml_cli cli;
	struct job j = { .min = ML_SEV_INFO };
	j.topts.entropy_bits = 7.8;
	j.topts.entropy_min = 16 * 4096;
	bool system = false;
	const char *yara = NULL;
	struct ml_yara *y = NULL;
	int c, ret = ML_EXIT_USAGE;
	ml_cli_init(&cli, argc, argv);
	while ((c = ml_cli_next(&cli)) > 0) {
		switch (c) {
		case OPT_SYSTEM: system = true; break;
		case OPT_YARA: yara = optarg; break;
		case OPT_SEVERITY:
			if (parse_sev(optarg, &j.min)) {
				ml_usage_error("--severity %s: expected info, low, medium or high", optarg);
				goto out;
			}
			break;
		case OPT_JSONL: j.out = OUT_JSONL; break;
		}
	}
	if (c < 0)
		goto out;
	if (system)
		ml_cli_mode(&cli, "--system");
	if (ml_cli_done(&cli))
		goto out;
	if (cli.json && j.out == OUT_JSONL) {
		ml_usage_error("--json and --jsonl: choose one");
		goto out;
	}
	if (cli.json)
		j.out = OUT_JSON;
	ret = ML_EXIT_FAIL;
	if (yara && ml_yara_load(&y, yara))
		goto out;
	j.topts.yara = y;
	if (system) {
		ret = run_system(&j, &cli.open);
		if (ml_stdout_done())
			ret = ML_EXIT_FAIL;
		goto out;
	}
	struct ml_space *s;
	struct ml_selection sel;
	if ((ret = ml_cli_open(&cli, &s, &sel)))
		goto out;
	ml_selection_free(&sel);
	if (j.out == OUT_JSON) {
		fputs("{\"source\": ", stdout);
		dump(ml_json_source(s, NULL, NULL));
		fputs(",\n \"schema\": " ML_STR(ML_TRIAGE_SCHEMA) ",\n \"findings\": [", stdout);
	}
	triage_one(&j, s, false);
	if (j.out == OUT_JSON) {
		fputs("],\n \"totals\": ", stdout);
		dump(totals_json(&j));
		fputs("}\n", stdout);
	} else if (j.out == OUT_TABLE) {
		printf("# %llu finding%s (high %llu, medium %llu, low %llu, info %llu)\n",
		       (unsigned long long)j.findings, j.findings == 1 ? "" : "s",
		       (unsigned long long)j.by_sev[3], (unsigned long long)j.by_sev[2],
		       (unsigned long long)j.by_sev[1], (unsigned long long)j.by_sev[0]);
	}
	ret = ml_stdout_done() ? ML_EXIT_FAIL : ml_cli_finish(&cli, false);
	ml_space_close(s);
out:
	ml_yara_free(y);
	ml_cli_free(&cli);
	return ret;
}
