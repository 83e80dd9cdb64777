/*
 * triage_target: a process that plants, by construction, each thing
 * `memlens triage` must find, and prints where it put it:
 *   wx START END        an RWX anonymous mapping holding shellcode
 *   memfd START END     the executable mapping of a shared object loaded
 *                       with dlopen from a memfd (/proc/PID/fd/N)
 *   elf START END       that shared object's file image copied into
 *                       anonymous memory
 *   patch START END     the first 16 bytes of libc's strfry, changed
 *                       after mprotect (every byte differs from the file)
 *   env START END       the LD_PRELOAD=... string, when started with one
 * then "ready PID", and waits.  Usage: triage_target SO_FILE
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: triage_target SO_FILE\n");
		return 2;
	}
	long ps = sysconf(_SC_PAGESIZE);

	/* wx: shellcode-looking bytes (a syscall stub) in RWX memory. */
	static const unsigned char code[] = { 0x48, 0x31, 0xc0, 0xb0, 0x3c, 0x48, 0x31, 0xff, 0x0f, 0x05, 0xc3 };
	unsigned char *wx = mmap(NULL, (size_t)ps, PROT_READ | PROT_WRITE | PROT_EXEC,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (wx == MAP_FAILED)
		die("mmap wx");
	memcpy(wx, code, sizeof code);
	printf("wx %p %p\n", (void *)wx, (void *)(wx + ps));

	/* The shared object, read whole. */
	int sf = open(argv[1], O_RDONLY);
	struct stat st;
	if (sf < 0 || fstat(sf, &st))
		die(argv[1]);
	size_t size = (size_t)st.st_size;
	unsigned char *so = malloc(size);
	if (!so || read(sf, so, size) != (ssize_t)size)
		die("read so");
	close(sf);

	/*
	 * memfd-exec: written to a memfd and loaded through /proc/PID/fd/N.
	 * The pid, not "self": gdb (gcore) opens the library by the name the
	 * loader recorded, and /proc/self/fd/N in gdb is gdb's own descriptor.
	 */
	int mfd = memfd_create("payload", 0);
	if (mfd < 0 || write(mfd, so, size) != (ssize_t)size)
		die("memfd");
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)getpid(), mfd);
	if (!dlopen(path, RTLD_NOW))
		die(dlerror());
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[4096];
	while (maps && fgets(line, sizeof line, maps)) {
		unsigned long a, b;
		char perms[5];
		if (sscanf(line, "%lx-%lx %4s", &a, &b, perms) == 3 && perms[2] == 'x' &&
		    strstr(line, "/memfd:payload"))
			printf("memfd %#lx %#lx\n", a, b);
	}
	if (maps)
		fclose(maps);

	/* elf-in-anon: the same file image in anonymous memory, page aligned. */
	size_t len = (size + (size_t)ps - 1) & ~((size_t)ps - 1);
	unsigned char *img = mmap(NULL, len + (size_t)ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (img == MAP_FAILED)
		die("mmap image");
	memcpy(img, so, size);
	printf("elf %p %p\n", (void *)img, (void *)(img + size));

	/* code-modified: strfry's first 16 bytes, each changed. */
	unsigned char *fn = dlsym(RTLD_DEFAULT, "strfry");
	if (!fn)
		die("dlsym strfry");
	unsigned char *pg = (unsigned char *)((uintptr_t)fn & ~(uintptr_t)(ps - 1));
	size_t span = (size_t)(fn + 16 - pg + ps - 1) & ~((size_t)ps - 1);
	if (mprotect(pg, span, PROT_READ | PROT_WRITE | PROT_EXEC))
		die("mprotect rwx");
	for (int i = 0; i < 16; i++)
		fn[i] ^= 0xff;
	if (mprotect(pg, span, PROT_READ | PROT_EXEC))
		die("mprotect rx");
	printf("patch %p %p\n", (void *)fn, (void *)(fn + 16));

	/* preload-env: where the loader variable's string is. */
	const char *v = getenv("LD_PRELOAD");
	if (v)
		printf("env %p %p\n", (void *)(v - strlen("LD_PRELOAD=")), (void *)(v + strlen(v)));

	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (;;)
		pause();
}
