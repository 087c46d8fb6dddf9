# vmm: one top-level Makefile.
#   make            cross-compiles the static aarch64 build/vmm and the test guests
#   make unit       builds and runs the native unit tests (ASan + UBSan)
#   make check      installs what is missing, builds, runs unit tests and the test bed
#   make demo       boots the test bed and runs an SVE guest
#   make bench      runs the benchmarks
# V=1 shows the commands.

CROSS    ?= aarch64-linux-gnu-
ARM_CC   := $(CROSS)gcc
HOST_CC  ?= gcc
BUILD    := build
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

ifeq ($(V),1)
Q :=
quiet = @true
else
Q := @
quiet = @printf '  %-6s %s\n'
endif

WARN     := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wstrict-prototypes -Wmissing-prototypes
CPPFLAGS := -Iinclude -Iarm64/include -D_GNU_SOURCE -DVMM_VERSION='"$(VERSION)"'
ARM_CFLAGS  := -std=gnu11 -O2 -g $(WARN) -pthread -MMD -MP
HOST_CFLAGS := -std=gnu11 -O1 -g $(WARN) -MMD -MP -fsanitize=address,undefined \
               -fno-omit-frame-pointer -fno-sanitize-recover=all

# ---- the VMM (static aarch64) ----
VMM_SRCS := \
	vmm/main.c vmm/commands.c vmm/cmdline.c vmm/util.c vmm/options.c arm64/run-options.c vmm/kvm.c vmm/vcpu.c vmm/mmio.c \
	vmm/term.c vmm/devices.c vmm/seccomp.c vmm/run.c vmm/api.c vmm/api-server.c vmm/api-progress.c vmm/vmstate.c \
	vmm/migstream.c vmm/migrate-net.c vmm/sha256.c vmm/migrate.c vmm/receive.c vmm/restore.c vmm/snapinfo.c \
	arm64/vcpu.c arm64/kvm-regs.c arm64/kvm.c arm64/boot.c arm64/vcpu-state.c arm64/image.c arm64/fdt.c arm64/gic.c arm64/gic-state.c arm64/layout.c \
	arm64/sve.c arm64/sve-kvm.c arm64/caps.c arm64/caps-kvm.c arm64/caps-read.c arm64/idregs.c arm64/cpuplan.c arm64/cpuplan-kvm.c arm64/snapshot-compare.c vmm/json.c \
	hw/pl011.c hw/pl031.c hw/testdev.c
VMM_SRCS += vmm/persist.c vmm/snapshot.c vmm/snapchain.c vmm/memsave.c vmm/devcfg.c vmm/saved-open.c vmm/vmstate-config.c arm64/snapshot.c arm64/snapshot-config.c arm64/snapshot-check.c arm64/snapshot-info.c
VMM_SRCS += vmm/guest-mem.c vmm/dirty.c virtio/virtqueue.c vmm/ownmem.c vmm/lazyload.c
VMM_SRCS += virtio/mmio.c virtio/core.c virtio/devices.c virtio/state.c virtio/blk.c virtio/net.c virtio/console.c virtio/rng.c
# vmm exec: the command, its initramfs builder, and the guest init linked in
VMM_SRCS += vmm/exec.c vmm/exec-plan.c vmm/cpio.c vmm/elf.c vmm/elfdeps.c vmm/exec-job.c \
	vmm/exec-status.c hw/exec-doorbell.c
VMM_OBJS := $(VMM_SRCS:%.c=$(BUILD)/arm64-obj/%.o) $(BUILD)/arm64-obj/exec/init-blob.o
VMM_LIBS := -static -lfdt -lz -laio -lseccomp -lpthread

# ---- freestanding test guests (arm64 Images) ----
GUESTS      := hello sve-vl sve-state sve-state-short sve-state-broken virtio-bad virtio-far-ring flood idle memdirty memdirty-small memtouch memtouch-idle
GUEST_LIB   := guest/start.S guest/lib.c guest/sve.S
GUEST_CFLAGS := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-builtin -nostdlib \
	-mgeneral-regs-only -mstrict-align -fno-pic -fno-pie -fno-stack-protector \
	-march=armv8.2-a+sve -Iguest -MMD -MP
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,--no-warn-rwx-segments -T guest/guest.ld

# ---- static aarch64 programs for the Linux guests (tests/progs/) ----
LINUX_PROGS := sve-probe ptyrun vmmbench sve-stress iobench apiprobe pipehold hwcap netpipe hostclock migrelay nouffd
LINUX_PROG_CFLAGS := -std=gnu11 -O2 -g $(WARN) -static -march=armv8.2-a+sve

# ---- vmm exec's guest init (static aarch64), and what tests it ----
# build/guest/exec-base.cpio holds the init and the test programs (a static
# one, and a dynamic one packed with its loader and libc by elfdeps); each
# build/guest/exec-job-NAME.cpio holds one job. The test bed boots the two
# concatenated (tests/bed/exec-init.sh).
EXEC_HDRS      := include/vmm/exec-job.h include/vmm/exec-status.h
EXEC_INIT_SRCS := exec/init.c vmm/exec-job.c vmm/exec-status.c
EXEC_PACK_SRCS := tests/exec/exec-pack.c vmm/cpio.c vmm/elf.c vmm/elfdeps.c vmm/exec-job.c vmm/util.c
EXEC_PACK      := $(BUILD)/exec/exec-pack
EXEC_ROOT      := $(BUILD)/exec/root
EXEC_JOBS      := exit42 signal notfound noexec stdin info dynamic
EXEC_JOB_exit42   := --job /bin/status -- status exit 42
EXEC_JOB_signal   := --job /bin/status -- status signal 11
EXEC_JOB_notfound := --job /bin/nosuch -- nosuch
EXEC_JOB_noexec   := --job /dev -- dev
EXEC_JOB_stdin    := --stdin $(BUILD)/exec/bytes --job /bin/status -- status stdin
EXEC_JOB_info     := -e HOME=/ -e FOO=bar --job /bin/status -- status info
EXEC_JOB_dynamic  := --job /bin/status-dyn -- status-dyn exit 7


# Each test names the sources it covers. libfdt comes as the native runtime
# (libfdt1) with the arm64 dev package's arch-independent headers.
# The command table links every command's options, and stand-ins for the
# handlers that need KVM (tests/unit/stub-commands.c).
CMD_SRCS := vmm/commands.c vmm/cmdline.c vmm/options.c arm64/run-options.c arm64/sve.c \
	arm64/layout.c vmm/util.c vmm/seccomp.c tests/unit/stub-commands.c
UNIT_TESTS := test_options test_mmio test_image test_fdt test_sve test_caps test_json
test_options_SRCS := $(CMD_SRCS)
test_mmio_SRCS    := vmm/mmio.c vmm/util.c
test_image_SRCS   := arm64/image.c vmm/util.c
test_fdt_SRCS     := arm64/fdt.c arm64/layout.c vmm/util.c vmm/devices.c hw/pl011.c hw/pl031.c hw/testdev.c \
	hw/exec-doorbell.c vmm/exec-status.c \
	virtio/devices.c virtio/core.c virtio/state.c virtio/virtqueue.c vmm/guest-mem.c vmm/persist.c vmm/mmio.c vmm/snapshot.c vmm/memsave.c vmm/devcfg.c vmm/saved-open.c \
	vmm/seccomp.c
test_sve_SRCS     := arm64/sve.c vmm/util.c
test_caps_SRCS    := arm64/caps.c arm64/caps-read.c arm64/idregs.c arm64/cpuplan.c vmm/json.c $(CMD_SRCS)
UNIT_TESTS += test_commands
test_commands_SRCS := $(CMD_SRCS)
test_json_SRCS    := vmm/json.c vmm/util.c
UNIT_TESTS += test_cpuplan
test_cpuplan_SRCS := arm64/caps.c arm64/caps-read.c arm64/idregs.c arm64/cpuplan.c vmm/json.c $(CMD_SRCS)
UNIT_TESTS += test_snapcmp
test_snapcmp_SRCS := arm64/snapshot-compare.c
UNIT_TESTS += test_snapshot test_persist
test_snapshot_SRCS := vmm/snapshot.c vmm/memsave.c vmm/persist.c vmm/devcfg.c vmm/saved-open.c vmm/util.c \
	vmm/vmstate-config.c arm64/snapshot-config.c arm64/layout.c
test_persist_SRCS  := vmm/persist.c
UNIT_TESTS += test_saved_open
test_saved_open_SRCS := vmm/saved-open.c vmm/devcfg.c vmm/snapshot.c vmm/memsave.c vmm/persist.c vmm/util.c \
	tests/unit/unprivileged.c
UNIT_TESTS += test_run_paths
test_run_paths_SRCS := $(CMD_SRCS)
UNIT_TESTS += test_restore_checks
test_restore_checks_SRCS := virtio/core.c vmm/seccomp.c virtio/mmio.c virtio/state.c virtio/virtqueue.c \
	vmm/guest-mem.c vmm/persist.c vmm/util.c vmm/mmio.c hw/pl031.c arm64/fdt.c arm64/layout.c
UNIT_TESTS += test_memsave
test_memsave_SRCS  := vmm/memsave.c vmm/util.c
UNIT_TESTS += test_virtqueue
test_virtqueue_SRCS := virtio/virtqueue.c vmm/guest-mem.c vmm/persist.c vmm/util.c
UNIT_TESTS += test_dirty
test_dirty_SRCS := vmm/dirty.c vmm/guest-mem.c virtio/virtqueue.c vmm/persist.c vmm/util.c
UNIT_TESTS += test_lazyload
test_lazyload_SRCS := vmm/lazyload.c vmm/seccomp.c vmm/util.c
UNIT_TESTS += test_snapchain
test_snapchain_SRCS := vmm/snapchain.c vmm/snapshot.c vmm/memsave.c vmm/persist.c vmm/devcfg.c \
	vmm/saved-open.c vmm/util.c vmm/vmstate-config.c vmm/dirty.c vmm/guest-mem.c \
	arm64/snapshot-config.c arm64/layout.c
UNIT_TESTS += test_virtio_blk test_virtio_net
test_virtio_blk_SRCS := virtio/blk.c vmm/saved-open.c tests/unit/fake-virtio.c tests/unit/unprivileged.c virtio/virtqueue.c vmm/guest-mem.c vmm/persist.c vmm/util.c
test_virtio_net_SRCS := virtio/net.c tests/unit/fake-virtio.c virtio/virtqueue.c vmm/guest-mem.c vmm/persist.c vmm/util.c
UNIT_TESTS += test_virtio_mmio
test_virtio_mmio_SRCS := virtio/mmio.c virtio/core.c vmm/seccomp.c arm64/layout.c virtio/state.c virtio/virtqueue.c vmm/guest-mem.c vmm/persist.c vmm/util.c vmm/mmio.c
UNIT_TESTS += test_cpio
test_cpio_SRCS := vmm/cpio.c vmm/util.c
UNIT_TESTS += test_elfdeps
test_elfdeps_SRCS := vmm/elf.c vmm/elfdeps.c vmm/cpio.c vmm/util.c
UNIT_TESTS += test_exec_job
UNIT_TESTS += test_seccomp
test_seccomp_SRCS := vmm/seccomp.c vmm/util.c
# a default other than vmm's, to show that SECCOMP_DEFAULT means the build's
$(BUILD)/unit/test_seccomp: CPPFLAGS += -DVMM_SECCOMP_DEFAULT=SECCOMP_LOG
test_exec_job_SRCS := vmm/exec-job.c vmm/exec-status.c
UNIT_TESTS += test_term test_api
test_term_SRCS := vmm/term.c vmm/seccomp.c vmm/util.c
test_api_SRCS  := vmm/api-server.c vmm/api-progress.c vmm/seccomp.c vmm/util.c
UNIT_TESTS += test_ownmem
test_ownmem_SRCS := vmm/ownmem.c vmm/util.c
UNIT_TESTS += test_migstream
test_migstream_SRCS := vmm/migstream.c vmm/migrate-net.c vmm/sha256.c vmm/api-server.c vmm/api-progress.c \
	vmm/snapshot.c vmm/memsave.c vmm/persist.c vmm/seccomp.c vmm/util.c
UNIT_TESTS += test_exec
test_exec_SRCS := vmm/exec-plan.c vmm/cpio.c vmm/elf.c vmm/elfdeps.c vmm/exec-job.c vmm/exec-status.c \
	$(CMD_SRCS)
UNIT_LIBS := -lcmocka -l:libfdt.so.1 -lz -laio -lseccomp

.SECONDARY:
.PHONY: all vmm guests linux-progs exec unit check demo bench deps clean testbed-shell
.PHONY: check-layout check-headers
all: vmm guests linux-progs exec

deps:
	$(Q)bash scripts/deps

vmm: $(BUILD)/vmm
$(BUILD)/vmm: $(VMM_OBJS) vmm/hot-text.ld
	$(quiet) LD $@
	$(Q)$(ARM_CC) -pthread -o $@ $(VMM_OBJS) $(VMM_LIBS) -Wl,-T,vmm/hot-text.ld

$(BUILD)/arm64-obj/%.o: %.c
	$(quiet) CC $<
	$(Q)mkdir -p $(@D)
	$(Q)$(ARM_CC) $(CPPFLAGS) $(ARM_CFLAGS) -c -o $@ $<
# --seccomp's default (docs/security.md): `make SECCOMP_DEFAULT=log` builds a
# vmm that logs what its lists lack instead of dying, to derive the lists
# from a test-bed run. build/seccomp-default rebuilds vmm/seccomp.c when it changes.
SECCOMP_DEFAULT ?= kill
ifeq ($(filter kill log off,$(SECCOMP_DEFAULT)),)
$(error SECCOMP_DEFAULT=$(SECCOMP_DEFAULT): expected kill, log or off)
endif
$(BUILD)/arm64-obj/vmm/seccomp.o: CPPFLAGS += -DVMM_SECCOMP_DEFAULT=SECCOMP_$(shell echo $(SECCOMP_DEFAULT) | tr a-z A-Z)
$(BUILD)/arm64-obj/vmm/seccomp.o: $(BUILD)/seccomp-default
$(BUILD)/seccomp-default: seccomp-default-check
	$(Q)mkdir -p $(@D) && echo $(SECCOMP_DEFAULT) | cmp -s - $@ || echo $(SECCOMP_DEFAULT) > $@
.PHONY: seccomp-default-check
$(BUILD)/arm64-obj/exec/init-blob.o: exec/init-blob.S $(BUILD)/exec-init
	$(quiet) AS $<
	$(Q)mkdir -p $(@D)
	$(Q)$(ARM_CC) -Wa,-I$(BUILD) -c -o $@ $<

guests: $(GUESTS:%=$(BUILD)/guest/%.img)
GUEST_LIB_OBJS := $(patsubst %,$(BUILD)/guest-obj/%.o,$(basename $(GUEST_LIB)))
$(BUILD)/guest-obj/%.o: %.c
	$(quiet) CC $<
	$(Q)mkdir -p $(@D)
	$(Q)$(ARM_CC) $(GUEST_CFLAGS) -c -o $@ $<
$(BUILD)/guest-obj/%.o: %.S
	$(quiet) AS $<
	$(Q)mkdir -p $(@D)
	$(Q)$(ARM_CC) $(GUEST_CFLAGS) -c -o $@ $<
$(BUILD)/guest/%.elf: $(BUILD)/guest-obj/guest/%.o $(GUEST_LIB_OBJS) guest/guest.ld
	$(quiet) LD $@
	$(Q)mkdir -p $(@D)
	$(Q)$(ARM_CC) $(GUEST_LDFLAGS) -o $@ $(filter %.o,$^)
$(BUILD)/guest/%.img: $(BUILD)/guest/%.elf
	$(quiet) IMAGE $@
	$(Q)$(CROSS)objcopy -O binary $< $@

# guest/sve-state.c is built three ways (a 20 s or a 3 s window; one with a
# broken register), each linked with its SVE assembly guest/sve-state.S.
SVE_STATE_GUESTS := sve-state sve-state-short sve-state-broken
$(BUILD)/guest-obj/guest/sve-state-short.o: SVE_STATE_DEFS := -DWINDOW_SECONDS=3
$(BUILD)/guest-obj/guest/sve-state-broken.o: SVE_STATE_DEFS := -DWINDOW_SECONDS=3 -DBREAK_PATTERN
$(SVE_STATE_GUESTS:%=$(BUILD)/guest-obj/guest/%.o): guest/sve-state.c
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(ARM_CC) $(GUEST_CFLAGS) $(SVE_STATE_DEFS) -c -o $@ $<
$(BUILD)/guest-obj/guest/sve-state-asm.o: guest/sve-state.S
	$(quiet) AS $<
	$(Q)mkdir -p $(@D)
	$(Q)$(ARM_CC) $(GUEST_CFLAGS) -c -o $@ $<
$(SVE_STATE_GUESTS:%=$(BUILD)/guest/%.elf): $(BUILD)/guest-obj/guest/sve-state-asm.o

# guest/memdirty.c also builds memdirty-small: 256 KiB rewritten instead of 16 MiB.
$(BUILD)/guest-obj/guest/memdirty-small.o: guest/memdirty.c
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(ARM_CC) $(GUEST_CFLAGS) -DAREA_KB=256 -c -o $@ $<

# guest/memtouch.c also builds memtouch-idle: it fills its buffer, then waits.
$(BUILD)/guest-obj/guest/memtouch-idle.o: guest/memtouch.c
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(ARM_CC) $(GUEST_CFLAGS) -DIDLE_AFTER_FILL -c -o $@ $<

# guest/virtio-bad.c also builds virtio-far-ring: its descriptor table 32 MiB into RAM.
$(BUILD)/guest-obj/guest/virtio-far-ring.o: guest/virtio-bad.c
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(ARM_CC) $(GUEST_CFLAGS) -DFAR_DESC=0x2000000UL -c -o $@ $<

linux-progs: $(LINUX_PROGS:%=$(BUILD)/linux/%) $(BUILD)/linux/seccomp-probe
# tests/bed/seccomp.sh's probe: vmm's own filters, on the test-bed host
SECCOMP_PROBE_SRCS := tests/progs/seccomp-probe.c vmm/seccomp.c vmm/util.c
$(BUILD)/linux/seccomp-probe: $(SECCOMP_PROBE_SRCS) include/vmm/seccomp.h
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(ARM_CC) $(CPPFLAGS) $(LINUX_PROG_CFLAGS) -o $@ $(SECCOMP_PROBE_SRCS) -lseccomp
$(BUILD)/linux/%: tests/progs/%.c
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(ARM_CC) $(LINUX_PROG_CFLAGS) -o $@ $<

exec: $(BUILD)/exec-init $(BUILD)/guest/exec-base.cpio $(EXEC_JOBS:%=$(BUILD)/guest/exec-job-%.cpio) \
	$(BUILD)/guest/exec-stdin.expect $(BUILD)/exec/needs-missing
$(BUILD)/exec-init: $(EXEC_INIT_SRCS) $(EXEC_HDRS)
	$(quiet) CC $@
	$(Q)$(ARM_CC) $(CPPFLAGS) -std=gnu11 -Os $(WARN) -static -s -o $@ $(EXEC_INIT_SRCS)
$(BUILD)/exec/status: tests/exec/status.c
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(ARM_CC) -std=gnu11 -O2 $(WARN) -static -o $@ $<
$(EXEC_ROOT)/bin/status-dyn: tests/exec/status.c
	$(quiet) CC $@
	$(Q)mkdir -p $(@D) $(EXEC_ROOT)/lib
	$(Q)cp $$($(ARM_CC) -print-file-name=ld-linux-aarch64.so.1) $$($(ARM_CC) -print-file-name=libc.so.6) $(EXEC_ROOT)/lib/
	$(Q)$(ARM_CC) -std=gnu11 -O2 $(WARN) -o $@ $<
# Needs a library the test bed does not have: vmm exec's 127 (tests/bed/exec.sh).
$(BUILD)/exec/needs-missing: tests/exec/status.c $(EXEC_ROOT)/bin/status-dyn
	$(quiet) CC $@
	$(Q)echo 'int vmm_missing(void) { return 0; }' > $(BUILD)/exec/missing.c
	$(Q)$(ARM_CC) -shared -fPIC -Wl,-soname,libvmm-missing.so.1 -o $(BUILD)/exec/libvmm-missing.so.1 $(BUILD)/exec/missing.c
	$(Q)$(ARM_CC) -std=gnu11 -O2 $(WARN) -o $@ $< -Wl,--no-as-needed $(BUILD)/exec/libvmm-missing.so.1
$(BUILD)/exec/status-native: tests/exec/status.c
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(HOST_CC) -std=gnu11 -O1 $(WARN) -o $@ $<
$(BUILD)/exec/bytes: $(BUILD)/exec/status-native
	$(Q)$< bytes > $@
$(BUILD)/guest/exec-stdin.expect: $(BUILD)/exec/status-native $(BUILD)/exec/bytes
	$(Q)mkdir -p $(@D)
	$(Q)$< stdin < $(BUILD)/exec/bytes > $@
$(EXEC_PACK): $(EXEC_PACK_SRCS) include/vmm/cpio.h include/vmm/elfdeps.h $(EXEC_HDRS)
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(HOST_CC) $(CPPFLAGS) -std=gnu11 -O1 -g $(WARN) -o $@ $(EXEC_PACK_SRCS)
$(BUILD)/guest/exec-base.cpio: $(BUILD)/exec-init $(BUILD)/exec/status $(EXEC_ROOT)/bin/status-dyn $(EXEC_PACK)
	$(quiet) CPIO $@
	$(Q)mkdir -p $(@D)
	$(Q)$(EXEC_PACK) -o $@ -f $(BUILD)/exec-init:/init -f $(BUILD)/exec/status:/bin/status \
		-r $(EXEC_ROOT) -a /bin/status-dyn
$(BUILD)/guest/exec-job-%.cpio: $(EXEC_PACK) $(BUILD)/exec/bytes Makefile
	$(quiet) CPIO $@
	$(Q)mkdir -p $(@D)
	$(Q)$(EXEC_PACK) -o $@ --stdout /dev/ttyAMA0 $(EXEC_JOB_$*)

# Unit tests: native, under ASan and UBSan.
UNIT_BINS := $(UNIT_TESTS:%=$(BUILD)/unit/%)
define unit_rule
$(BUILD)/unit/$(1): tests/unit/$(1).c $$($(1)_SRCS) $$(wildcard tests/unit/*.h tests/*.h)
	$$(quiet) CC $$@
	$$(Q)mkdir -p $$(@D)
	$$(Q)$$(HOST_CC) $$(CPPFLAGS) -Itests/unit $$(HOST_CFLAGS) -o $$@ tests/unit/$(1).c $$($(1)_SRCS) $$(UNIT_LIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))

unit: $(UNIT_BINS)
	$(Q)bash scripts/run-unit $(UNIT_BINS)

# libFuzzer targets (native clang 14): tests/fuzz/NAME.c with the sources it
# covers in NAME_SRCS. Built with -DFUZZ_SEED_MAIN, the same file is a small
# program that writes seed inputs into the directory it is given.
# `make fuzz` runs each for FUZZ_SECONDS and fails on the first crash.
FUZZERS         := fuzz_state
fuzz_state_SRCS := vmm/snapshot.c vmm/memsave.c vmm/persist.c vmm/util.c
# The section payload parsers, seeded with the real snapshot of
# tests/fixtures/snapshot-1.0 (tests/fuzz/seed-fixture.h).
FUZZ_SNAP_SRCS  := vmm/snapshot.c vmm/memsave.c vmm/persist.c vmm/util.c
FUZZERS         += fuzz_config
fuzz_config_SRCS := $(FUZZ_SNAP_SRCS) vmm/vmstate-config.c vmm/devcfg.c vmm/saved-open.c \
	arm64/snapshot-config.c arm64/layout.c
FUZZERS         += fuzz_devices
fuzz_devices_SRCS := $(FUZZ_SNAP_SRCS) vmm/devcfg.c vmm/saved-open.c
FUZZERS         += fuzz_vcpu
fuzz_vcpu_SRCS  := $(FUZZ_SNAP_SRCS) arm64/vcpu-state.c arm64/sve.c
FUZZERS         += fuzz_gic
fuzz_gic_SRCS   := $(FUZZ_SNAP_SRCS) arm64/gic-state.c
fuzz_gic_LDFLAGS := -Wl,--wrap=ioctl
fuzz_virtio_LDFLAGS := -lseccomp
fuzz_caps_LDFLAGS := -lseccomp
FUZZERS         += fuzz_virtio
fuzz_virtio_SRCS := $(FUZZ_SNAP_SRCS) virtio/state.c virtio/core.c vmm/seccomp.c virtio/mmio.c \
	virtio/virtqueue.c vmm/guest-mem.c vmm/mmio.c arm64/layout.c
# arm64/*-state.c need arm64's <asm/kvm.h>: the cross toolchain's, alone
# (the rest of <asm/> stays the native one).
ARM64_ASM    ?= /usr/aarch64-linux-gnu/include/asm
FUZZ_UAPI    := $(BUILD)/fuzz/arm64-uapi
$(FUZZ_UAPI)/asm/kvm.h:
	$(Q)mkdir -p $(@D)
	$(Q)for h in kvm.h ptrace.h sve_context.h hwcap.h; do ln -sf $(ARM64_ASM)/$$h $(@D)/$$h; done
FUZZERS         += fuzz_chain
fuzz_chain_SRCS := vmm/snapchain.c $(FUZZ_SNAP_SRCS) vmm/vmstate-config.c vmm/devcfg.c \
	vmm/saved-open.c vmm/dirty.c vmm/guest-mem.c arm64/snapshot-config.c arm64/layout.c
FUZZERS         += fuzz_virtqueue
fuzz_virtqueue_SRCS := virtio/virtqueue.c vmm/guest-mem.c vmm/persist.c vmm/util.c
FUZZERS         += fuzz_elf
fuzz_elf_SRCS   := vmm/elf.c vmm/elfdeps.c vmm/cpio.c vmm/util.c
FUZZERS         += fuzz_migstream
fuzz_migstream_SRCS := vmm/migstream.c vmm/snapshot.c vmm/memsave.c vmm/persist.c vmm/util.c
FUZZERS         += fuzz_caps
fuzz_caps_SRCS  := arm64/caps.c arm64/caps-read.c arm64/idregs.c arm64/cpuplan.c vmm/json.c $(CMD_SRCS)
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 20
FUZZ_CFLAGS  := -std=gnu11 -O1 -g $(WARN) -Wno-missing-field-initializers -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_BINS    := $(FUZZERS:%=$(BUILD)/fuzz/%)
define fuzz_rule
$(BUILD)/fuzz/$(1): tests/fuzz/$(1).c $$($(1)_SRCS) | $(FUZZ_UAPI)/asm/kvm.h
	$$(quiet) FUZZCC $$@
	$$(Q)mkdir -p $$(@D)
	$$(Q)$$(FUZZ_CC) -I$(FUZZ_UAPI) $$(CPPFLAGS) $$(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $$@ $$^ -lz $$($(1)_LDFLAGS)
$(BUILD)/fuzz/$(1)-seed: tests/fuzz/$(1).c $$($(1)_SRCS) | $(FUZZ_UAPI)/asm/kvm.h
	$$(quiet) CC $$@
	$$(Q)mkdir -p $$(@D)
	$$(Q)$$(FUZZ_CC) -I$(FUZZ_UAPI) $$(CPPFLAGS) $$(FUZZ_CFLAGS) -fsanitize=address,undefined -DFUZZ_SEED_MAIN -o $$@ $$^ -lz $$($(1)_LDFLAGS)
endef
$(foreach f,$(FUZZERS),$(eval $(call fuzz_rule,$(f))))

.PHONY: fuzz
fuzz: $(FUZZ_BINS) $(FUZZ_BINS:%=%-seed)
	$(Q)for f in $(FUZZERS); do \
	  bin=$(BUILD)/fuzz/$$f corpus=$(BUILD)/fuzz/corpus-$${f#fuzz_} log=$(BUILD)/fuzz/$$f.log; \
	  mkdir -p $$corpus && $$bin-seed $$corpus || exit 1; \
	  if $$bin -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	      -artifact_prefix=$(BUILD)/fuzz/$$f- $$corpus >$$log 2>&1; then \
	    echo "fuzz: $$f: no crash in $$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' $$log) runs, $(FUZZ_SECONDS) s"; \
	  else \
	    tail -n 40 $$log; echo "fuzz: $$f: FAILED, see $$log"; exit 1; \
	  fi; \
	done

# The arch boundary (docs/architecture.md): scripts/check-layout tests
# itself, then the tree.
check-layout:
	$(Q)bash scripts/check-layout --self-test
	$(Q)bash scripts/check-layout

# Every header compiles on its own, with the VMM's flags; stops at the first
# that does not.
HEADERS := $(sort $(shell find include arm64/include -name '*.h'))
check-headers:
	$(Q)for h in $(HEADERS); do \
	  $(ARM_CC) $(CPPFLAGS) -std=gnu11 $(WARN) -fsyntax-only -include $$h -x c /dev/null \
	    || { echo "check-headers: $$h does not compile on its own"; exit 1; }; \
	done; echo "check-headers: $(words $(HEADERS)) headers compile on their own"

check: deps
	$(Q)$(MAKE) --no-print-directory all $(UNIT_BINS)
	$(Q)UNIT_BINS="$(UNIT_BINS)" bash scripts/check

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bash scripts/demo

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bash scripts/bench

testbed-shell: all
	$(Q)bash scripts/testbed --shell --profile $(or $(PROFILE),sve-big)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
