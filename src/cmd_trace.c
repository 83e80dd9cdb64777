/*
 * cmd_trace: `memlens trace -o RECORD -- PROGRAM ARGS...` runs PROGRAM
 * with libmemlens-trace.so preloaded (tracer/) and keeps what it records;
 * `--to HOST:PORT` streams the record to a `memlens trace --listen PORT`
 * instead.  This side only prepares and waits: it refuses what cannot be
 * traced before running it (a static executable, a set-user-ID program, a
 * program not found: 127), opens the output and hands its descriptor to
 * the library through MEMLENS_TRACE, then exits with the program's status.
 * The record file is renamed into place when the program has ended,
 * whatever its status: the record of a failing program is the point.
 */
#include "config.h"
#include "commands.h"
#include "cli.h"
#include "mltrace.h"
#include "output.h"
#include "trace_read.h"
#include "util.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char cmd_trace_help[] =
	"Usage: memlens trace -o RECORD [--no-follow] -- PROGRAM [ARGS...]\n"
	"       memlens trace --to HOST:PORT -- PROGRAM [ARGS...]\n"
	"       memlens trace --listen [ADDR:]PORT -o RECORD\n"
	"Run PROGRAM with libmemlens-trace.so preloaded and record every malloc,\n"
	"calloc, realloc, reallocarray, free, memalign, posix_memalign,\n"
	"aligned_alloc, valloc, pvalloc, mmap, munmap and mremap it makes: time,\n"
	"thread, address, size and call stack, with the loaded modules and their\n"
	"build ids.  memlens trace-report reads the record.  The exit status is\n"
	"PROGRAM's (128+N when signal N killed it; 127 when it is not found).\n\n"
	"  -o, --output RECORD   the record; %p in the name (run.%p.mltrace) gives\n"
	"                        each process its own file, children too\n"
	"  --no-follow           with %p: record only PROGRAM, not its children\n"
	"                        (without %p children are never recorded)\n"
	"  --to HOST:PORT        stream the record to memlens trace --listen; when\n"
	"                        the network cannot keep up, events are dropped and\n"
	"                        counted, never waited for\n"
	"  --listen [ADDR:]PORT  receive one --to stream into -o RECORD (ADDR\n"
	"                        defaults to 127.0.0.1; 0.0.0.0 for every interface)\n\n"
	"Use -- before PROGRAM so that its options are not taken for memlens's.  The\n"
	"program owns standard output: -o - is refused.  --strict: a record that is\n"
	"incomplete (the program killed, recording stopped, events lost) is not kept.\n";

enum { OPT_TO = ML_OPT_FIRST_CMD, OPT_LISTEN, OPT_NO_FOLLOW };

const struct option cmd_trace_opts[] = {
	{ "to", required_argument, NULL, OPT_TO },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "no-follow", no_argument, NULL, OPT_NO_FOLLOW },
	{ NULL, 0, NULL, 0 },
};

#define LIB_NAME "libmemlens-trace.so"

/* The preload library: beside memlens in the build tree (libtool's .libs), else installed. */
static char *find_library(void)
{
	char self[PATH_MAX];
	ssize_t l = readlink("/proc/self/exe", self, sizeof self - 1);
	if (l > 0) {
		self[l] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			static const char *const rel[] = { "/.libs/" LIB_NAME, "/" LIB_NAME };
			for (size_t i = 0; i < ML_ARRAY_SIZE(rel); i++) {
				size_t n = strlen(self) + strlen(rel[i]) + 1;
				char *p = ml_malloc(n);
				snprintf(p, n, "%s%s", self, rel[i]);
				if (!access(p, R_OK))
					return p;
				free(p);
			}
		}
	}
	if (!access(ML_PKGLIBDIR "/" LIB_NAME, R_OK))
		return ml_strdup(ML_PKGLIBDIR "/" LIB_NAME);
	return NULL;
}

/* PROGRAM as execvp would find it; NULL with errno when it cannot be run. */
static char *find_program(const char *name)
{
	if (strchr(name, '/')) {
		if (access(name, X_OK))
			return NULL;
		return ml_strdup(name);
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	int err = ENOENT;
	for (const char *p = path;;) {
		size_t l = strcspn(p, ":");
		size_t n = l + strlen(name) + 2;
		char *c = ml_malloc(n);
		snprintf(c, n, "%.*s%s%s", (int)l, p, l ? "/" : "", name);
		struct stat st;
		if (!stat(c, &st) && S_ISREG(st.st_mode)) {
			if (!access(c, X_OK))
				return c;
			err = EACCES;
		}
		free(c);
		if (!p[l])
			break;
		p += l + 1;
	}
	errno = err;
	return NULL;
}

/*
 * Why LD_PRELOAD cannot work for this file, or NULL: a static ELF
 * executable (no PT_INTERP), or a script whose interpreter is one.
 */
static const char *why_untraceable(const char *path, int depth)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;	/* exec will say why */
	uint8_t buf[4096];
	ssize_t n = pread(fd, buf, sizeof buf, 0);
	const char *why = NULL;
	struct stat st;
	if (!fstat(fd, &st) && (st.st_mode & (S_ISUID | S_ISGID)) &&
	    (((st.st_mode & S_ISUID) && st.st_uid != geteuid()) || ((st.st_mode & S_ISGID) && st.st_gid != getegid())))
		why = "a set-user-ID or set-group-ID program: the loader ignores LD_PRELOAD for it";
	else if (n >= 2 && buf[0] == '#' && buf[1] == '!' && depth < 2) {
		/* a script: its interpreter is what runs */
		size_t e = 2;
		while (e < (size_t)n && (buf[e] == ' ' || buf[e] == '\t'))
			e++;
		size_t s = e;
		while (e < (size_t)n && buf[e] != ' ' && buf[e] != '\t' && buf[e] != '\n')
			e++;
		if (e > s && e - s < PATH_MAX) {
			char interp[PATH_MAX];
			memcpy(interp, buf + s, e - s);
			interp[e - s] = '\0';
			why = why_untraceable(interp, depth + 1);
		}
	} else if (n >= (ssize_t)sizeof(Elf64_Ehdr) && !memcmp(buf, ELFMAG, SELFMAG) && buf[EI_CLASS] == ELFCLASS64) {
		Elf64_Ehdr eh;
		memcpy(&eh, buf, sizeof eh);
		bool interp = false;
		if (eh.e_phentsize == sizeof(Elf64_Phdr) && eh.e_phnum < 4096) {
			for (unsigned i = 0; i < eh.e_phnum; i++) {
				Elf64_Phdr ph;
				if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (uint64_t)i * sizeof ph)) != (ssize_t)sizeof ph)
					break;
				interp |= ph.p_type == PT_INTERP;
			}
			if (!interp && eh.e_type == ET_EXEC)
				why = "a static executable: LD_PRELOAD cannot reach its malloc";
			else if (!interp && eh.e_type == ET_DYN) {
				/* static-pie has PT_DYNAMIC but no interpreter; a shared library has no entry to run */
				why = "a static executable (static-pie): LD_PRELOAD cannot reach its malloc";
			}
		}
	}
	close(fd);
	return why;
}

/* host:port → a connected TCP socket; -1 after a diagnostic. */
static int connect_to(const char *spec)
{
	const char *colon = strrchr(spec, ':');
	if (!colon || colon == spec || !colon[1]) {
		ml_usage_error("--to %s: expected HOST:PORT", spec);
		return -2;
	}
	char host[256];
	size_t hl = (size_t)(colon - spec);
	if (hl >= sizeof host) {
		ml_usage_error("--to %s: host name too long", spec);
		return -2;
	}
	memcpy(host, spec, hl);
	host[hl] = '\0';
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	int e = getaddrinfo(host, colon + 1, &hints, &res);
	if (e) {
		ml_err("--to %s: %s", spec, gai_strerror(e));
		return -1;
	}
	int fd = -1, err = 0;
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (!connect(fd, a->ai_addr, a->ai_addrlen))
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		ml_err("--to %s: %s (is memlens trace --listen running there?)", spec, strerror(err));
	return fd;
}

static int write_full(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == ENOTSOCK)
			w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return 0;
}

/* A descriptor number for the child: high, and free in this process. */
static int spare_fd(void)
{
	struct rlimit rl;
	int want = 1000;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 1100)
		want = (int)(rl.rlim_cur / 2);
	int fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, want);
	if (fd < 0)
		return want;
	close(fd);
	return fd;
}

static int run(const char *prog, char **args, int rec_fd, const char *lib, const char *pattern, bool follow,
	       bool lossy)
{
	struct stat st = { 0 };
	if (rec_fd >= 0)
		fstat(rec_fd, &st);
	int child_fd = spare_fd();
	const char *old = getenv("LD_PRELOAD");
	size_t pl = strlen(lib) + (old ? strlen(old) + 1 : 0) + 1;
	char *preload = ml_malloc(pl);
	snprintf(preload, pl, "%s%s%s", lib, old && *old ? ":" : "", old && *old ? old : "");
	struct sigaction ign = { .sa_handler = SIG_IGN }, oint, oquit;
	sigemptyset(&ign.sa_mask);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		ml_err("fork: %s", strerror(errno));
		free(preload);
		return ML_EXIT_FAIL;
	}
	if (!pid) {
		/* The child: the record's descriptor at child_fd (kept across exec), the environment, exec. */
		if (rec_fd >= 0 && dup2(rec_fd, child_fd) < 0)
			_exit(127);
		size_t el = strlen(pattern ? pattern : "") + 256;
		char *env = malloc(el);
		if (!env)
			_exit(127);
		snprintf(env, el, "fd=%d;ino=%lu;owner=%ld;lossy=%d;follow=%d;pattern=%s", child_fd,
			 rec_fd >= 0 ? (unsigned long)st.st_ino : 0ul, (long)getpid(), lossy, follow,
			 pattern ? pattern : "");
		setenv("MEMLENS_TRACE", env, 1);
		setenv("LD_PRELOAD", preload, 1);
		execv(prog, args);
		int e = errno;
		char *p = ml_escape(prog);
		fprintf(stderr, "memlens: trace: %s: %s\n", p, strerror(e));
		_exit(e == ENOENT ? 127 : 126);
	}
	free(preload);
	/* As a shell does for its foreground job: ^C and ^\ are for the program; we report its end. */
	sigaction(SIGINT, &ign, &oint);
	sigaction(SIGQUIT, &ign, &oquit);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGQUIT, &oquit, NULL);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status)) {
		ml_warn("the program was killed by signal %d: its record ends there", WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	return ML_EXIT_FAIL;
}

/* --listen: one connection's bytes into the record. */
static int listen_once(const char *spec, struct ml_out *out)
{
	char host[256] = "127.0.0.1";
	const char *port = spec, *colon = strrchr(spec, ':');
	if (colon) {
		size_t hl = (size_t)(colon - spec);
		if (!hl || hl >= sizeof host)
			return ml_usage_error("--listen %s: expected [ADDR:]PORT", spec);
		memcpy(host, spec, hl);
		host[hl] = '\0';
		port = colon + 1;
	}
	uint64_t pn;
	if (ml_parse_uint(port, 1, 65535, &pn))
		return ml_usage_error("--listen %s: expected a port from 1 to 65535", spec);
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICHOST }, *res;
	int e = getaddrinfo(host, port, &hints, &res);
	if (e) {
		ml_err("--listen %s: %s", spec, gai_strerror(e));
		return ML_EXIT_FAIL;
	}
	int ls = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    bind(ls, res->ai_addr, res->ai_addrlen) || listen(ls, 1)) {
		ml_err("--listen %s: %s", spec, strerror(errno));
		freeaddrinfo(res);
		if (ls >= 0)
			close(ls);
		return ML_EXIT_FAIL;
	}
	freeaddrinfo(res);
	fprintf(stderr, "memlens: trace: listening on %s:%s\n", host, port);
	int s;
	while ((s = accept4(ls, NULL, NULL, SOCK_CLOEXEC)) < 0 && errno == EINTR)
		;
	close(ls);
	if (s < 0) {
		ml_err("--listen %s: %s", spec, strerror(errno));
		return ML_EXIT_FAIL;
	}
	static uint8_t buf[1 << 16];
	uint64_t total = 0;
	for (;;) {
		ssize_t r = read(s, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ml_warn("--listen %s: %s: the record ends there", spec, strerror(errno));
			break;
		}
		if (r == 0)
			break;
		unsigned ma, mi;
		if (total == 0 && mlt_file_header_check(buf, (size_t)r, &ma, &mi)) {
			ml_err("--listen %s: what arrived is not a memlens trace --to stream", spec);
			close(s);
			return ML_EXIT_FAIL;
		}
		if (fwrite(buf, 1, (size_t)r, out->f) != (size_t)r) {
			close(s);
			ml_out_check(out);
			return ML_EXIT_FAIL;
		}
		total += (uint64_t)r;
		if (ml_out_check(out)) {
			close(s);
			return ML_EXIT_FAIL;
		}
	}
	close(s);
	if (total < MLT_FILE_HEADER) {
		ml_err("--listen %s: the connection closed before a record arrived", spec);
		return ML_EXIT_FAIL;
	}
	return ML_EXIT_OK;
}

/* --strict: the record must be whole (an end block, no events lost), else exit 1 and no record. */
static int strict_check(struct ml_out *out)
{
	if (fflush(out->f) || ml_out_check(out))
		return -1;
	const char *path = out->tmp ? out->tmp : out->path;
	struct ml_trace *t = ml_trace_open(path);
	if (!t)
		return -1;
	const char *why = ml_trace_damage(t);
	uint64_t lost = 0;
	for (size_t i = 0; i < ml_trace_nimages(t); i++)
		lost += ml_trace_image(t, i)->lost;
	char *e = ml_escape(out->path);
	if (why)
		ml_err("%s: incomplete (--strict): %s", e, why);
	else if (lost)
		ml_err("%s: incomplete (--strict): %llu events lost", e, (unsigned long long)lost);
	free(e);
	ml_trace_close(t);
	return why || lost ? -1 : 0;
}

int cmd_trace(int argc, char **argv)
{
	struct ml_cli cli;
	struct ml_out out;
	out.open = false;
	const char *to = NULL, *listen_on = NULL;
	bool no_follow = false;
	int c, ret = ML_EXIT_USAGE, sock = -1;
	char *lib = NULL, *prog = NULL;
	/* Options end at PROGRAM: its own options are not ours. */
	setenv("POSIXLY_CORRECT", "1", 1);
	ml_cli_init(&cli, argc, argv);
	while ((c = ml_cli_next(&cli)) > 0) {
		switch (c) {
		case OPT_TO: to = optarg; break;
		case OPT_LISTEN: listen_on = optarg; break;
		case OPT_NO_FOLLOW: no_follow = true; break;
		}
	}
	unsetenv("POSIXLY_CORRECT");
	if (c < 0)
		goto done;
	char **args = argv + optind;
	int nargs = argc - optind;
	cli.argc = optind;
	if (ml_cli_done(&cli))
		goto done;
	if (listen_on) {
		if (nargs) {
			ml_usage_error("--listen receives a record: it runs no PROGRAM (got '%s')", args[0]);
			goto done;
		}
		if (to || no_follow) {
			ml_cli_refuse(to ? "--to" : "--no-follow", "--listen only receives");
			goto done;
		}
		if (!cli.out) {
			ml_usage_error("missing -o RECORD (where --listen writes what it receives)");
			goto done;
		}
		if (!strcmp(cli.out, "-") || strstr(cli.out, "%p")) {
			ml_usage_error("-o %s: --listen writes one record file", cli.out);
			goto done;
		}
		ret = ML_EXIT_FAIL;
		if (ml_out_open(&out, cli.out, NULL))
			goto done;
		ret = listen_once(listen_on, &out);
		if (ret == ML_EXIT_OK && ml_out_commit(&out))
			ret = ML_EXIT_FAIL;
		goto done;
	}
	if (!nargs) {
		ml_usage_error("missing PROGRAM (memlens trace -o RECORD -- PROGRAM ARGS...)");
		goto done;
	}
	if (!!to == !!cli.out) {
		ml_usage_error(to ? "--to and -o: choose one (record here, or stream there)"
				  : "missing -o RECORD (or --to HOST:PORT)");
		goto done;
	}
	const char *pattern = cli.out && strstr(cli.out, "%p") ? cli.out : NULL;
	if (cli.out && !strcmp(cli.out, "-")) {
		ml_usage_error("-o -: the program owns standard output; name a file");
		goto done;
	}
	if (cli.strict && (to || pattern)) {
		ml_cli_refuse("--strict", "it checks the one record memlens writes itself (-o without %%p)");
		goto done;
	}
	if (no_follow && !pattern) {
		ml_cli_refuse("--no-follow", "without %%p in -o children are never recorded");
		goto done;
	}
	if (!(prog = find_program(args[0]))) {
		char *e = ml_escape(args[0]);
		ml_err("%s: %s", e, errno == EACCES ? "not executable" : "not found");
		free(e);
		ret = errno == EACCES ? 126 : 127;
		goto done;
	}
	const char *why = why_untraceable(prog, 0);
	if (why) {
		char *e = ml_escape(prog);
		ml_err("%s: %s; nothing was run", e, why);
		free(e);
		ret = ML_EXIT_FAIL;
		goto done;
	}
	if (!(lib = find_library())) {
		ml_err("%s not found beside memlens nor in %s: is memlens installed?", LIB_NAME, ML_PKGLIBDIR);
		ret = ML_EXIT_FAIL;
		goto done;
	}
	uint8_t head[MLT_FILE_HEADER];
	mlt_file_header(head);
	int rec_fd = -1;
	if (to) {
		sock = connect_to(to);
		if (sock < 0) {
			ret = sock == -2 ? ML_EXIT_USAGE : ML_EXIT_FAIL;
			goto done;
		}
		if (write_full(sock, head, sizeof head)) {
			ml_err("--to %s: %s", to, strerror(errno));
			ret = ML_EXIT_FAIL;
			goto done;
		}
		rec_fd = sock;
	} else if (!pattern) {
		if (ml_out_open(&out, cli.out, NULL)) {
			ret = ML_EXIT_FAIL;
			goto done;
		}
		if (fwrite(head, 1, sizeof head, out.f) != sizeof head || fflush(out.f) || ml_out_check(&out)) {
			ret = ML_EXIT_FAIL;
			goto done;
		}
		rec_fd = out.fd;
	}
	ret = run(prog, args, rec_fd, lib, pattern, pattern && !no_follow, to != NULL);
	if (ret == 126 || ret == 127) {
		/* exec failed in the child (it said why): no record */
		ml_out_abort(&out);
		goto done;
	}
	if (out.open) {
		struct stat st;
		if (!fstat(out.fd, &st) && st.st_size <= MLT_FILE_HEADER)
			ml_warn("the program recorded nothing (did it clear LD_PRELOAD, or is it not dynamically linked?)");
		if (cli.strict && strict_check(&out)) {
			ret = ML_EXIT_FAIL;
			goto done;
		}
		if (ml_out_commit(&out))
			ret = ML_EXIT_FAIL;
	}
done:
	if (sock >= 0)
		close(sock);
	ml_out_abort(&out);
	free(lib);
	free(prog);
	ml_cli_free(&cli);
	return ret;
}
