/*
 * cmd_snapshot: `memlens snapshot PID -o CORE` — acquire a live process as
 * an ELF core (snapshot.c writes it) with every thread stopped for the
 * copy and let go on every path; `--system -o DIR` does it for each
 * process it can read, with an index.json.  The JSON summary says what
 * was copied and how long the target was stopped.
 */
#include "config.h"
#include "commands.h"
#include "cli.h"
#include "json.h"
#include "output.h"
#include "snapshot.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char cmd_snapshot_help[] =
	"Usage: memlens snapshot PID -o CORE [--filter WHAT] [--no-freeze] [--json]\n"
	"       memlens snapshot --system -o DIR [--filter WHAT] [--no-freeze] [--json]\n"
	"Write a live process as an ELF core that gdb, lldb and eu-stack load: every\n"
	"thread stopped for the copy and let go at the end, never-touched memory left\n"
	"as holes of a sparse file, and a MEMLENS note with what pagemap said of every\n"
	"page (memlens pagemap CORE shows it).\n\n"
	"  -o, --output CORE     the core (a regular file; written whole or not at all);\n"
	"                        with --system, a directory (made if missing)\n"
	"  --filter WHAT         what to dump, as the kernel's coredump_filter: default\n"
	"                        (the process's own), all, anon, or a mask in hex;\n"
	"                        ELF headers of mapped files are always dumped\n"
	"  --no-freeze           copy without stopping the process (no ptrace; the\n"
	"                        registers are what /proc/PID/task/TID/syscall shows)\n"
	"  --system              every process memlens can read: DIR/core.PID.COMM each,\n"
	"                        and DIR/index.json\n"
	"  --json                a JSON summary on standard output\n\n";

enum { OPT_FILTER = ML_OPT_FIRST_CMD, OPT_NO_FREEZE, OPT_SYSTEM };

const struct option cmd_snapshot_opts[] = {
	{ "filter", required_argument, NULL, OPT_FILTER },
	{ "no-freeze", no_argument, NULL, OPT_NO_FREEZE },
	{ "system", no_argument, NULL, OPT_SYSTEM },
	{ NULL, 0, NULL, 0 },
};

struct job {
	struct ml_cli cli;
	struct ml_snap_opts opt;
	bool system;
};

static int parse_filter(const char *arg, struct ml_snap_opts *o)
{
	uint64_t v;
	o->own_filter = false;
	if (!strcmp(arg, "default"))
		o->own_filter = true;
	else if (!strcmp(arg, "all"))
		o->filter = ML_CDF_ALL;
	else if (!strcmp(arg, "anon"))
		o->filter = ML_CDF_ANON_PRIVATE | ML_CDF_ANON_SHARED;
	else if (!ml_parse_addr(arg, &v) && v <= ML_CDF_ALL)
		o->filter = v;
	else
		return ml_usage_error("--filter %s: expected default, all, anon or a hex mask up to 1ff", arg), -1;
	return 0;
}

static json_t *result_json(const struct ml_snap_result *r, const char *file)
{
	json_t *o = json_object();
	json_object_set_new(o, "file", ml_json_str(file));
	json_object_set_new(o, "frozen", json_boolean(r->frozen));
	json_object_set_new(o, "filter", ml_json_hex(r->filter));
	json_object_set_new(o, "threads", json_integer(r->threads));
	json_object_set_new(o, "regions", json_integer((json_int_t)r->regions));
	json_object_set_new(o, "regions_dumped", json_integer((json_int_t)r->regions_dumped));
	json_object_set_new(o, "bytes_dumped", json_integer((json_int_t)r->bytes_dumped));
	json_object_set_new(o, "bytes_from_files", json_integer((json_int_t)r->bytes_file));
	json_object_set_new(o, "bytes_zero", json_integer((json_int_t)r->bytes_zero));
	json_object_set_new(o, "bytes_unreadable", json_integer((json_int_t)r->bytes_unreadable));
	json_object_set_new(o, "bytes_written", json_integer((json_int_t)r->bytes_written));
	json_object_set_new(o, "file_size", json_integer((json_int_t)r->file_size));
	json_object_set_new(o, "stopped_seconds", json_real(r->stopped_s));
	json_object_set_new(o, "elapsed_seconds", json_real(r->elapsed_s));
	return o;
}

/*
 * One process into one file: stopped (unless --no-freeze), copied,
 * released, committed.  0, or the exit status after a diagnostic; *s is
 * left open (threads released) for the JSON source object.
 */
static int snap_one(struct job *j, const char *path, struct ml_space **s, struct ml_snap_result *res)
{
	int pid, tracer = 0;
	*s = NULL;
	ml_source_pid(j->cli.source, &pid);
	if (ml_snap_precheck(pid, &j->opt.state, &tracer))
		return ML_EXIT_FAIL;
	if (j->opt.freeze && tracer) {
		char p[64];
		snprintf(p, sizeof p, "/proc/%d/comm", tracer);
		char *comm = ml_read_text(p, 64, NULL);
		char *e = ml_escape(comm ? strtok(comm, "\n") : "?");
		ml_err("pid %d is traced by pid %d (%s): memlens cannot stop it while another tracer holds it "
		       "(--no-freeze copies it running)", pid, tracer, e);
		free(e);
		free(comm);
		return ML_EXIT_FAIL;
	}
	struct ml_out o;
	if (ml_out_open(&o, path, NULL))
		return ML_EXIT_FAIL;
	if (!o.seekable || o.in_place) {
		ml_err("%s: a core is written with holes and its headers last: name a regular file", path);
		ml_out_abort(&o);
		return ML_EXIT_FAIL;
	}
	struct ml_selection sel;
	j->cli.open.freeze = j->opt.freeze;
	double t_frozen = ml_snap_now();
	int ret = ml_cli_open(&j->cli, s, &sel);
	if (ret) {
		ml_out_abort(&o);
		return ret;
	}
	ml_selection_free(&sel);
	ret = ML_EXIT_FAIL;
	if (ml_snapshot_write(*s, &o, &j->opt, res, t_frozen))
		goto fail;
	/* let go before anything else can fail or wait */
	ml_live_release(*s);
	if ((ret = ml_cli_finish(&j->cli, res->bytes_unreadable > 0)))
		goto fail;
	if (ml_out_commit(&o))
		return ML_EXIT_FAIL;
	return ML_EXIT_OK;
fail:
	ml_live_release(*s);
	ml_out_abort(&o);
	return ret ? ret : ML_EXIT_FAIL;
}

static void summary(const struct ml_snap_result *r, const char *file)
{
	char a[32], b[32], z[32];
	char *e = ml_escape(file);
	printf("%s: %u thread%s, %zu of %zu regions dumped, %s copied, %s written", e, r->threads,
	       r->threads == 1 ? "" : "s", r->regions_dumped, r->regions, ml_human_size(r->bytes_dumped, a, sizeof a),
	       ml_human_size(r->bytes_written, b, sizeof b));
	if (r->bytes_zero)
		printf(", %s of untouched memory as holes", ml_human_size(r->bytes_zero, z, sizeof z));
	if (r->bytes_unreadable)
		printf(", %s unreadable", ml_human_size(r->bytes_unreadable, z, sizeof z));
	if (r->frozen)
		printf("; stopped %.3f s\n", r->stopped_s);
	else
		printf("; not stopped (--no-freeze)\n");
	free(e);
}

static int run_one(struct job *j)
{
	struct ml_space *s;
	struct ml_snap_result res;
	int pid;
	ml_source_pid(j->cli.source, &pid);
	if (j->opt.freeze && pid == (int)getpid()) {
		ml_usage_error("memlens cannot stop its own threads (%s): --no-freeze copies it running",
			       j->cli.source);
		return ML_EXIT_USAGE;
	}
	int ret = snap_one(j, j->cli.out, &s, &res);
	if (!ret) {
		if (j->cli.json) {
			json_t *root = json_object();
			json_object_set_new(root, "source", ml_json_source(s, NULL, NULL));
			json_object_set_new(root, "snapshot", result_json(&res, j->cli.out));
			ml_json_print(root, stdout);
		} else if (!ml_quiet) {
			summary(&res, j->cli.out);
		}
		if (ml_stdout_done())
			ret = ML_EXIT_FAIL;
	}
	ml_space_close(s);
	return ret;
}

/* "core.PID.COMM" with the name made safe for a file name. */
static char *core_name(const char *dir, int pid, const char *comm)
{
	char safe[64];
	size_t n = 0;
	for (const char *p = comm; p && *p && n < sizeof safe - 1; p++)
		safe[n++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			    *p == '.' || *p == '-' || *p == '+' ? *p : '_';
	safe[n] = '\0';
	size_t len = strlen(dir) + n + 32;
	char *path = ml_malloc(len);
	snprintf(path, len, "%s/core.%d.%s", dir, pid, n ? safe : "_");
	return path;
}

/* A kernel thread has no memory of its own (PF_KTHREAD in its stat flags). */
static bool kernel_thread(int pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	char *t = ml_read_text(path, 4096, NULL);
	if (!t)
		return true;
	const char *p = strrchr(t, ')');
	unsigned long long flags = 0;
	int ok = p && sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %llu", &flags) == 1;
	free(t);
	return !ok || (flags & 0x00200000ULL);
}

static int run_system(struct job *j)
{
	const char *dir = j->cli.out;
	struct stat st;
	if (stat(dir, &st) && errno == ENOENT && mkdir(dir, 0777) && errno != EEXIST) {
		ml_err("%s: cannot create the directory: %s", dir, strerror(errno));
		return ML_EXIT_FAIL;
	}
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		ml_err("%s: --system writes a directory of cores: %s", dir, errno ? strerror(errno) : "not a directory");
		return ML_EXIT_FAIL;
	}
	DIR *d = opendir("/proc");
	if (!d) {
		ml_err("/proc: %s", strerror(errno));
		return ML_EXIT_FAIL;
	}
	json_t *cores = json_array();
	size_t ok = 0, failed = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		uint64_t v;
		if (ml_parse_uint(de->d_name, 1, 0x7fffffff, &v) || (int)v == (int)getpid() || kernel_thread((int)v))
			continue;
		int pid = (int)v;
		char comm_path[64], src[32];
		snprintf(comm_path, sizeof comm_path, "/proc/%d/comm", pid);
		char *comm = ml_read_text(comm_path, 64, NULL);
		if (comm)
			comm[strcspn(comm, "\n")] = '\0';
		char *path = core_name(dir, pid, comm);
		snprintf(src, sizeof src, "%d", pid);
		j->cli.source = src;
		struct ml_space *s;
		struct ml_snap_result res;
		int r = snap_one(j, path, &s, &res);
		json_t *e;
		if (!r) {
			e = result_json(&res, strrchr(path, '/') + 1);
			ok++;
		} else {
			e = json_object();
			json_object_set_new(e, "error", json_string("not copied (memlens said why on stderr)"));
			failed++;
		}
		json_object_set_new(e, "pid", json_integer(pid));
		json_object_set_new(e, "name", ml_json_str(comm));
		json_array_append_new(cores, e);
		ml_space_close(s);
		free(path);
		free(comm);
	}
	closedir(d);
	json_t *root = json_object();
	json_object_set_new(root, "source", ml_json_source(NULL, "system", NULL));
	json_object_set_new(root, "frozen", json_boolean(j->opt.freeze));
	json_object_set_new(root, "cores_written", json_integer((json_int_t)ok));
	json_object_set_new(root, "cores_failed", json_integer((json_int_t)failed));
	json_object_set_new(root, "cores", cores);

	size_t len = strlen(dir) + 16;
	char *ipath = ml_malloc(len);
	snprintf(ipath, len, "%s/index.json", dir);
	struct ml_out o;
	int ret = ML_EXIT_FAIL;
	if (ml_out_open(&o, ipath, NULL) == 0) {
		json_incref(root);
		if (ml_json_print(root, o.f) == 0 && ml_out_commit(&o) == 0)
			ret = ML_EXIT_OK;
		else
			ml_out_abort(&o);
	}
	free(ipath);
	if (!ret && j->cli.json)
		ret = ml_json_print(root, stdout) || ml_stdout_done() ? ML_EXIT_FAIL : ML_EXIT_OK;
	else
		json_decref(root);
	if (!ret && !ok) {
		ml_err("no process could be copied");
		ret = ML_EXIT_FAIL;
	}
	if (!ret && failed && j->cli.strict) {
		ml_err("%zu processes could not be copied (--strict)", failed);
		ret = ML_EXIT_FAIL;
	}
	if (!ret && !j->cli.json && !ml_quiet)
		printf("%s: %zu cores written, %zu processes not copied; index.json lists them\n", dir, ok, failed);
	return ret;
}

int cmd_snapshot(int argc, char **argv)
{
	struct job j = { .opt = { .own_filter = true, .freeze = true } };
	int c, ret = ML_EXIT_USAGE;
	ml_cli_init(&j.cli, argc, argv);
	while ((c = ml_cli_next(&j.cli)) > 0) {
		switch (c) {
		case OPT_FILTER:
			if (parse_filter(optarg, &j.opt))
				goto out;
			break;
		case OPT_NO_FREEZE:
			j.opt.freeze = false;
			break;
		case OPT_SYSTEM:
			j.system = true;
			break;
		}
	}
	if (c < 0)
		goto out;
	if (j.system)
		ml_cli_mode(&j.cli, "--system");
	if (ml_cli_done(&j.cli))
		goto out;
	ret = j.system ? run_system(&j) : run_one(&j);
out:
	ml_cli_free(&j.cli);
	return ret;
}
