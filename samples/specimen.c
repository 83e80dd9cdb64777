/*
 * specimen: a process whose memory is easy to recognise in a picture — a
 * block of text, a colour gradient, random bytes, untouched zero pages and
 * a heap of patterned allocations — that prints where everything is and
 * then waits to be imaged, dumped or killed.  Tests use it as a target;
 * `make sample` turns it into the bundled sample dumps.
 *
 *   specimen [--files DIR] [--mappings N] [--raw FILE]
 *     --files DIR    also map "DIR/with space.bin" and a deleted file
 *     --mappings N   add N small separate mappings (for benchmarks)
 *     --raw FILE     write the pattern area as a raw dump and exit
 *
 * Output, one line each: "NAME START END" (hex), then "ready PID".
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MiB (1024 * 1024)
#define AREA (4 * MiB)

static const char text[] =
	"memlens specimen: the quick brown fox jumps over the lazy dog. "
	"THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG 0123456789 !\"#$%&'()*+,-./ "
	"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\n";

/*
 * The gradient starts on a whole row of 1024 24-bit pixels (3072 bytes)
 * from the area's start, so `memlens image` of the area shows it as drawn:
 * red growing right, green growing down, each pixel's bytes in place.
 */
#define GRADIENT (342 * 3072)	/* the first row boundary past 1 MiB */

/*
 * Text up to the gradient (a little over 1 MiB), the gradient up to 2 MiB,
 * 1 MiB random, 1 MiB untouched (zero) pages.
 */
static void fill(unsigned char *a)
{
	for (size_t i = 0; i < GRADIENT; i++)
		a[i] = (unsigned char)text[i % (sizeof text - 1)];
	unsigned char *g = a + GRADIENT;
	/* As 24-bit pixels 1024 wide: red grows right, green grows down. */
	for (size_t i = 0; i < 2 * MiB - GRADIENT; i++) {
		size_t px = i / 3, x = px % 1024, y = px / 1024;
		unsigned c = (unsigned)(i % 3);
		g[i] = (unsigned char)(c == 0 ? x / 4 : c == 1 ? (y * 255) / 341 : 128);
	}
	uint64_t s = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < MiB; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		a[2 * MiB + i] = (unsigned char)s;
	}
}

static int write_raw(const char *path)
{
	unsigned char *a = calloc(1, AREA);
	if (!a)
		return 1;
	fill(a);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(a, 1, AREA, f) != AREA || fclose(f)) {
		perror(path);
		return 1;
	}
	free(a);
	return 0;
}

static void *map_file(const char *dir, const char *name, int unlink_it)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, 8192)) {
		perror(path);
		exit(1);
	}
	void *p = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	if (unlink_it)
		unlink(path);
	close(fd);
	printf("%s %lx %lx\n", unlink_it ? "deleted" : "spaced", (unsigned long)p,
	       (unsigned long)p + 8192);
	return p;
}

int main(int argc, char **argv)
{
	const char *dir = NULL;
	long extra = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--raw") && i + 1 < argc)
			return write_raw(argv[i + 1]);
		else if (!strcmp(argv[i], "--files") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--mappings") && i + 1 < argc)
			extra = atol(argv[++i]);
		else {
			fprintf(stderr, "usage: specimen [--files DIR] [--mappings N] [--raw FILE]\n");
			return 2;
		}
	}
	unsigned char *a = mmap(NULL, AREA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	fill(a);
	printf("pattern %lx %lx\n", (unsigned long)a, (unsigned long)a + AREA);

	/* Heap: 1000 blocks of 64..1000 bytes, each filled with 0xA5 and its index. */
	unsigned char *first = NULL, *last = NULL;
	for (int i = 0; i < 1000; i++) {
		size_t n = 64 + (size_t)(i * 37) % 937;
		unsigned char *b = malloc(n);
		if (!b)
			return 1;
		memset(b, 0xa5, n);
		memcpy(b, &i, sizeof i);
		if (!first)
			first = b;
		last = b;
	}
	printf("heapblocks %lx %lx\n", (unsigned long)first, (unsigned long)last);

	if (dir) {
		map_file(dir, "with space.bin", 0);
		map_file(dir, "gone.bin", 1);
	}
	/* Alternate protections so neighbouring mappings never merge. */
	long ps = sysconf(_SC_PAGESIZE);
	for (long i = 0; i < extra; i++) {
		void *p = mmap(NULL, (size_t)ps, i % 2 ? PROT_READ : PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		mprotect(p, (size_t)ps, i % 2 ? PROT_READ : PROT_READ | PROT_WRITE);
	}
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (;;)
		pause();
}
