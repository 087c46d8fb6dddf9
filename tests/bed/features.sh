# profiles: sve-big
# timeout: 90
# --pmu gives the guest a PMUv3 (armv8_pmuv3 in perf's devices); pointer
# authentication is on by default on this host and --no-ptrauth removes it.
linux_guest pmu features --pmu
expect_rc 0 pmu
expect_guest pmu 1 pmu
expect_guest paca 1 pmu
linux_guest plain features --no-ptrauth
expect_rc 0 plain
expect_guest pmu 0 plain
expect_guest paca 0 plain
