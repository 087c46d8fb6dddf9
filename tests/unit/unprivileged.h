#ifndef VMM_TESTS_UNPRIVILEGED_H
#define VMM_TESTS_UNPRIVILEGED_H

/*
 * Permission tests that also mean something as root (make check runs as
 * root, and root opens any file): fn runs in a child process that, when
 * root, first gives up root for uid and gid 65534 (nobody). The child
 * cannot use cmocka's asserts: fn returns 0, or the number (1..254) of the
 * check that failed.
 * Returns what fn returned (-1 if the child could not drop root or died).
 */
int unit__unprivileged(int (*fn)(void *arg), void *arg);

#endif
