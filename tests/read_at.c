/*
 * read_at: a test tool that reads bytes through memlens's source layer.
 *   read_at [--as raw|core|lime] [--base ADDR] SOURCE ADDR LEN [ADDR LEN ...]
 * prints, per request, one line of 2 hex digits per byte, "--" for a hole.
 * Integration tests compare its lines with /proc/PID/mem read by Python.
 */
#include "config.h"
#include "source.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct ml_open_opts o = { 0 };
	int i = 1;
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "--as"))
			o.as = ml_source_kind_named(argv[i + 1]);
		else if (!strcmp(argv[i], "--base"))
			ml_parse_addr(argv[i + 1], &o.base);
	}
	if (argc - i < 3 || (argc - i) % 2 != 1) {
		fprintf(stderr, "usage: read_at [--as K] [--base A] SOURCE ADDR LEN...\n");
		return 2;
	}
	struct ml_space *s;
	if (ml_space_open(&s, argv[i], &o))
		return 1;
	for (int k = i + 1; k + 1 < argc; k += 2) {
		uint64_t addr, len;
		if (ml_parse_addr(argv[k], &addr) || ml_parse_uint(argv[k + 1], 1, 1 << 20, &len))
			return 2;
		unsigned char *buf = ml_malloc(len);
		uint64_t done = 0;
		while (done < len) {
			bool hole;
			size_t n = ml_space_read(s, addr + done, len - done, buf + done, &hole);
			for (size_t j = 0; j < n; j++) {
				if (hole)
					fputs("--", stdout);
				else
					printf("%02x", buf[done + j]);
			}
			done += n;
		}
		putchar('\n');
		free(buf);
	}
	ml_space_close(s);
	return 0;
}
