# Keeps checking its SVE registers until the VM is stopped (tests/progs/sve-stress.c).
sve-stress
