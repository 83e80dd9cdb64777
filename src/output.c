/*
 * output: atomic output files (temporary + rename), stdout for "-", and the
 * refusal to overwrite the input.
 */
#include "config.h"
#include "output.h"
#include "util.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
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

int ml_out_open(struct ml_out *o, const char *path, const struct ml_space *input)
{
	memset(o, 0, sizeof *o);
	o->fd = -1;
	if (!strcmp(path, "-")) {
		o->is_stdout = true;
		o->f = stdout;
		o->fd = STDOUT_FILENO;
		return 0;
	}
	struct stat st;
	if (input && input->kind != ML_SRC_LIVE && stat(path, &st) == 0 &&
	    st.st_dev == input->dev && st.st_ino == input->ino) {
		ml_err("%s: refusing to overwrite the input", path);
		return -1;
	}
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		ml_err("%s: is a directory", path);
		return -1;
	}
	char *dcopy = ml_strdup(path), *bcopy = ml_strdup(path);
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
	ml_cleanup_tmpfile(o->tmp);
	/* mkstemp makes 0600; a finished output gets the usual 0666 & ~umask. */
	mode_t um = umask(0);
	umask(um);
	fchmod(o->fd, 0666 & ~um);
	o->f = fdopen(o->fd, "wb");
	if (!o->f) {
		ml_err("%s: %s", path, strerror(errno));
		ml_out_abort(o);
		return -1;
	}
	o->path = ml_strdup(path);
	return 0;
}

int ml_out_commit(struct ml_out *o)
{
	const char *name = o->path ? o->path : "standard output";
	if (o->is_stdout) {
		if (fflush(stdout) || ferror(stdout)) {
			ml_err("%s: write failed: %s", name, strerror(errno));
			return -1;
		}
		return 0;
	}
	int bad = ferror(o->f);
	if (fclose(o->f) || bad) {
		o->f = NULL;
		ml_err("%s: write failed: %s", name, strerror(errno ? errno : EIO));
		ml_out_abort(o);
		return -1;
	}
	o->f = NULL;
	if (rename(o->tmp, o->path)) {
		ml_err("%s: cannot rename into place: %s", name, strerror(errno));
		ml_out_abort(o);
		return -1;
	}
	ml_cleanup_tmpfile(NULL);
	free(o->tmp);
	free(o->path);
	o->tmp = o->path = NULL;
	return 0;
}

void ml_out_abort(struct ml_out *o)
{
	if (o->is_stdout)
		return;
	if (o->f)
		fclose(o->f);
	o->f = NULL;
	if (o->tmp) {
		unlink(o->tmp);
		ml_cleanup_tmpfile(NULL);
	}
	free(o->tmp);
	free(o->path);
	o->tmp = o->path = NULL;
}
