/*
 * output: atomic output files (temporary + rename, several committed
 * together), in-place writes to character devices and FIFOs, stdout for
 * "-", and the refusals: the input itself, directories, block devices,
 * sockets, terminals.
 */
#include "config.h"
#include "output.h"
#include "util.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

const char *ml_path_ext(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(path, '.');
	if (!dot || (slash && dot < slash) || dot == path || dot[-1] == '/')
		return "";
	return dot + 1;
}

bool ml_out_is_stream(const char *path)
{
	struct stat st;
	return !strcmp(path, "-") ||
	       (stat(path, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)));
}

/*
 * Can a writer seek back to fix a header?  A regular file, not opened for
 * appending (where every write lands at the end whatever the offset).
 */
static bool fd_seekable(int fd)
{
	struct stat st;
	int fl = fcntl(fd, F_GETFL);
	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && fl >= 0 && !(fl & O_APPEND) &&
	       lseek(fd, 0, SEEK_CUR) != (off_t)-1;
}

/*
 * Every output's FILE writes through these, so the first failure's reason
 * (ENOSPC, EPIPE...) is kept for the one line the commit prints, whatever
 * happened to errno in between.
 */
static ssize_t ck_write(void *cookie, const char *buf, size_t n)
{
	struct ml_out *o = cookie;
	size_t done = 0;
	while (done < n) {
		ssize_t k = write(o->fd, buf + done, n - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			/*
			 * Kept, not returned: the writers (PNG, BMP) would each
			 * say it their own way; ml_out_check() and the commit
			 * say it once, with the file's name.
			 */
			if (!o->err)
				o->err = k < 0 ? errno : EIO;
			return (ssize_t)n;
		}
		done += (size_t)k;
	}
	return (ssize_t)n;
}

static int ck_seek(void *cookie, off64_t *pos, int whence)
{
	struct ml_out *o = cookie;
	off_t r = lseek(o->fd, (off_t)*pos, whence);
	if (r == (off_t)-1)
		return -1;
	*pos = r;
	return 0;
}

static int ck_close(void *cookie)
{
	struct ml_out *o = cookie;
	/* standard output stays open for whatever else the command prints */
	if (o->is_stdout)
		return 0;
	int r = close(o->fd);
	if (r && !o->err)
		o->err = errno;
	o->fd = -1;
	return r;
}

static FILE *out_file(struct ml_out *o)
{
	cookie_io_functions_t io = { .write = ck_write, .seek = ck_seek, .close = ck_close };
	FILE *f = fopencookie(o, "wb", io);
	/* PNG and BMP rows arrive in small writes: gather them */
	if (f)
		setvbuf(f, NULL, _IOFBF, (size_t)1 << 17);
	return f;
}

/* A character device or FIFO: written where it is, never replaced. */
static int open_in_place(struct ml_out *o, const char *path, const struct stat *st)
{
	/* Opening a FIFO waits for its reader, as a shell's > does. */
	o->fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (o->fd < 0) {
		ml_err("%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISCHR(st->st_mode) && ml_isatty(o->fd)) {
		ml_err("%s: is a terminal; redirect the output or name a file", path);
		close(o->fd);
		o->fd = -1;
		return -1;
	}
	o->in_place = true;
	return 0;
}

/* A temporary file beside final, with final's mode when it exists. */
static int open_temporary(struct ml_out *o, const char *path, const struct stat *old)
{
	char *dcopy = ml_strdup(o->final), *bcopy = ml_strdup(o->final);
	const char *dir = dirname(dcopy), *base = basename(bcopy);
	size_t n = strlen(dir) + strlen(base) + 16;
	o->tmp = ml_malloc(n);
	snprintf(o->tmp, n, "%s/.%s.XXXXXX", dir, base);
	free(dcopy);
	free(bcopy);
	o->fd = mkostemp(o->tmp, O_CLOEXEC);
	if (o->fd < 0) {
		ml_err("%s: cannot create: %s", path, strerror(errno));
		free(o->tmp);
		o->tmp = NULL;
		return -1;
	}
	if (ml_cleanup_add_tmp(o->tmp)) {
		ml_err("%s: too many outputs at once", path);
		unlink(o->tmp);
		close(o->fd);
		o->fd = -1;
		free(o->tmp);
		o->tmp = NULL;
		return -1;
	}
	/* mkstemp makes 0600: a replaced file keeps its mode, a new one gets 0666 & ~umask. */
	mode_t mode;
	if (old) {
		mode = old->st_mode & 0777;
	} else {
		mode_t um = umask(0);
		umask(um);
		mode = 0666 & ~um;
	}
	fchmod(o->fd, mode);
	return 0;
}

int ml_out_open(struct ml_out *o, const char *path, const struct ml_space *input)
{
	return ml_out_open_inputs(o, path, &input, 1);
}

int ml_out_open_inputs(struct ml_out *o, const char *path, const struct ml_space *const *inputs, size_t n)
{
	memset(o, 0, sizeof *o);
	o->fd = -1;
	if (!strcmp(path, "-")) {
		fflush(stdout);
		o->is_stdout = true;
		o->fd = STDOUT_FILENO;
		o->seekable = fd_seekable(STDOUT_FILENO);
		o->f = out_file(o);
		if (!o->f) {
			ml_err("standard output: %s", strerror(errno));
			return -1;
		}
		o->open = true;
		return 0;
	}
	struct stat st, lst;
	bool exists = stat(path, &st) == 0;
	for (size_t i = 0; exists && i < n; i++) {
		const struct ml_space *input = inputs[i];
		if (input && !ml_space_can(input, ML_CAP_LIVE) && st.st_dev == input->dev && st.st_ino == input->ino) {
			ml_err("%s: refusing to overwrite the input", path);
			return -1;
		}
	}
	if (!exists && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
		ml_err("%s: a symbolic link to a file that does not exist", path);
		return -1;
	}
	if (exists) {
		const char *what = S_ISDIR(st.st_mode) ? "is a directory" :
				   S_ISBLK(st.st_mode) ? "is a block device: memlens does not write over disks" :
				   S_ISSOCK(st.st_mode) ? "is a socket" : NULL;
		if (what) {
			ml_err("%s: %s", path, what);
			return -1;
		}
		if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
			if (open_in_place(o, path, &st))
				return -1;
			goto fdopen;
		}
	}
	/* A regular file: replace what a symbolic link points to, not the link. */
	if (exists && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
		char *real = realpath(path, NULL);
		if (!real) {
			ml_err("%s: cannot follow the link: %s", path, strerror(errno));
			return -1;
		}
		o->final = real;
	} else {
		o->final = ml_strdup(path);
	}
	if (open_temporary(o, path, exists ? &st : NULL)) {
		free(o->final);
		o->final = NULL;
		return -1;
	}
	o->seekable = true;
fdopen:
	o->path = ml_strdup(path);
	o->open = true;
	o->f = out_file(o);
	if (!o->f) {
		ml_err("%s: %s", path, strerror(errno));
		close(o->fd);
		ml_out_abort(o);
		return -1;
	}
	if (o->in_place)
		o->seekable = fd_seekable(o->fd);
	return 0;
}

/* Writes out what is buffered and closes; -1 after naming the file and why. */
static int finish(struct ml_out *o)
{
	const char *name = o->is_stdout ? "standard output" : o->path;
	int bad = ferror(o->f);
	if (fclose(o->f))
		bad = 1;
	o->f = NULL;
	o->fd = -1;
	if (bad || o->err) {
		ml_err("%s: write failed: %s", name, strerror(o->err ? o->err : EIO));
		return -1;
	}
	return 0;
}

int ml_out_check(struct ml_out *o)
{
	if (!o->open || !o->err)
		return 0;
	ml_err("%s: write failed: %s", o->is_stdout ? "standard output" : o->path, strerror(o->err));
	ml_out_abort(o);
	return -1;
}

static void forget(struct ml_out *o)
{
	if (o->tmp)
		ml_cleanup_del_tmp(o->tmp);
	free(o->tmp);
	free(o->final);
	free(o->path);
	o->tmp = o->final = o->path = NULL;
	o->open = false;
}

int ml_out_commit_all(struct ml_out *const *outs, size_t n)
{
	int bad = 0;
	for (size_t i = 0; i < n && !bad; i++)
		if (outs[i]->open && finish(outs[i]))
			bad = -1;
	size_t renamed = 0;
	for (; !bad && renamed < n; renamed++) {
		struct ml_out *o = outs[renamed];
		if (!o->open || !o->tmp)
			continue;
		if (rename(o->tmp, o->final)) {
			ml_err("%s: cannot rename into place: %s", o->path, strerror(errno));
			bad = -1;
			break;
		}
	}
	if (bad) {
		/* All or nothing: what was already renamed is ours, and goes too. */
		for (size_t i = 0; i < renamed; i++)
			if (outs[i]->open && outs[i]->tmp)
				unlink(outs[i]->final);
		for (size_t i = 0; i < n; i++)
			ml_out_abort(outs[i]);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (outs[i]->open)
			forget(outs[i]);
	return 0;
}

int ml_out_commit(struct ml_out *o)
{
	return ml_out_commit_all(&o, 1);
}

void ml_out_abort(struct ml_out *o)
{
	if (!o->open)
		return;
	if (o->f)
		fclose(o->f);
	o->f = NULL;
	if (o->tmp)
		unlink(o->tmp);
	forget(o);
}
