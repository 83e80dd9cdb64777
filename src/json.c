/*
 * json: the few jansson helpers shared by every --json output.
 */
#include "config.h"
#include "json.h"
#include "util.h"
#include "source.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

json_t *ml_json_str(const char *s)
{
	if (!s)
		return json_null();
	char *c = ml_utf8_clean(s);
	json_t *j = json_string(c);
	free(c);
	return j ? j : json_null();
}

json_t *ml_json_bytes(const void *b, size_t n)
{
	char *c = ml_utf8_clean_n(b, n);
	json_t *j = json_string(c);
	free(c);
	return j ? j : json_null();
}

json_t *ml_json_hex(uint64_t v)
{
	char b[24];
	snprintf(b, sizeof b, "0x%llx", (unsigned long long)v);
	return json_string(b);
}

json_t *ml_json_source(const struct ml_space *s, const char *whole, const char *glibc)
{
	json_t *o = json_object();
	bool file = s && !ml_space_can(s, ML_CAP_LIVE);
	json_object_set_new(o, "kind", json_string(s ? ml_space_kind(s) : whole));
	json_object_set_new(o, "path", file ? ml_json_str(s->name) : json_null());
	json_object_set_new(o, "pid", s && s->pid ? json_integer(s->pid) : json_null());
	json_object_set_new(o, "name", ml_json_str(s ? s->comm : NULL));
	json_object_set_new(o, "page_size",
			    json_integer(s ? (json_int_t)s->page_size : (json_int_t)sysconf(_SC_PAGESIZE)));
	json_object_set_new(o, "glibc", glibc ? ml_json_str(glibc) : json_null());
	if (file) {
		json_object_set_new(o, "file_size", json_integer((json_int_t)s->file_size));
		json_object_set_new(o, "truncated", json_boolean(s->truncated));
		json_object_set_new(o, "missing", json_integer((json_int_t)s->missing));
	}
	if (s)
		ml_space_describe(s, o);
	return o;
}

int ml_json_print(json_t *root, FILE *f)
{
	int r = json_dumpf(root, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (r || fputc('\n', f) == EOF) {
		/*
		 * Callers writing files name them in their own message; on stdout a
		 * reader that went away is not worth one (see ml_stdout_done).
		 */
		if (f == stdout && errno != EPIPE)
			ml_err("writing JSON failed%s%s", errno ? ": " : "", errno ? strerror(errno) : "");
		return -1;
	}
	return 0;
}
