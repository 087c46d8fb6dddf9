#ifndef VMM_TESTS_UNIT_H
#define VMM_TESTS_UNIT_H

/* cmocka needs these before it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#endif
