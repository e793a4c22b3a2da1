#pragma once

/* Cleanup and ownership helpers shared by lib/ and daemon/. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f)   __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_       __attribute__((unused))
#define _pure_	       __attribute__((pure))
#define _sentinel_     __attribute__((sentinel))

/* GCC can check that a constructor's result is released with the matching destructor. */
#if defined(__clang__)
#define _malloc_(f)
#else
#define _malloc_(f) __attribute__((malloc(f, 1)))
#endif

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

#define streq(a, b) (strcmp((a), (b)) == 0)

/* Take a pointer out of a cleanup variable: the variable becomes NULL, the value is returned. */
#define TAKE_PTR(p)                      \
	({                               \
		__typeof__(p) _p_ = (p); \
		(p) = NULL;              \
		_p_;                     \
	})

#define TAKE_FD(fd)              \
	({                       \
		int _fd_ = (fd); \
		(fd) = -1;       \
		_fd_;            \
	})

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(const int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
}

static inline void fclosep(FILE **f)
{
	if (*f)
		(void)fclose(*f);
}

#define _cleanup_free_	 _cleanup_(freep)
#define _cleanup_close_	 _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Defines NAMEp(struct x **) calling FREE(*p), for _cleanup_(NAMEp). FREE must accept NULL. */
/* NOLINTBEGIN(bugprone-macro-parentheses): type is a type name, func part of an identifier. */
#define DEFINE_FREEP(type, func)             \
	static inline void func##p(type **p) \
	{                                    \
		if (*p)                      \
			(void)func(*p);      \
	}
/* NOLINTEND(bugprone-macro-parentheses) */

#define USEC_PER_SEC	UINT64_C(1000000)
#define USEC_PER_MSEC	UINT64_C(1000)
#define USEC_PER_MINUTE (UINT64_C(60) * USEC_PER_SEC)
#define USEC_PER_HOUR	(UINT64_C(60) * USEC_PER_MINUTE)
#define USEC_PER_DAY	(UINT64_C(24) * USEC_PER_HOUR)

/* Exit codes of vaktd and vaktctl (SPEC.md), besides EXIT_SUCCESS. */
enum {
	EXIT_INVALID = 1,     /* invalid config or usage; vaktctl: also a refused request */
	EXIT_RUNTIME = 2,     /* vaktd: runtime failure at start */
	EXIT_UNREACHABLE = 2, /* vaktctl: the daemon cannot be reached */
};
