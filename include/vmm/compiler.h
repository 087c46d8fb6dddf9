#ifndef VMM_COMPILER_H
#define VMM_COMPILER_H

/* The attributes vmm uses, each spelled one way. */
#define __must_check __attribute__((warn_unused_result))
#define __printf(a, b) __attribute__((format(printf, a, b)))

#endif
