# SVE as a process in the guest sees it (tests/progs/sve-probe.c).
sve-probe
