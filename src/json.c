/*
 * json: the few jansson helpers shared by every --json output.
 */
#include "config.h"
#include "json.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

json_t *ml_json_str(const char *s)
{
	if (!s)
		return json_null();
	char *c = ml_utf8_clean(s);
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
