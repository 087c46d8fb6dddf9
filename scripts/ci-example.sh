#!/bin/sh
# An example CI step for an arm64 runner with KVM: runs the project's tests
# in a throwaway microVM at every SVE vector length this runner can give
# (vmm exec --each-vl), and exits with the result (docs/usage.md, "In CI").
#
#   scripts/ci-example.sh [PROGRAM [ARGS...]]      (default: ./run-tests)
#
# Settings, from the environment:
#   VMM         the vmm binary (default: vmm on PATH)
#   VMM_KERNEL  the guest kernel (default: the runner's /boot/vmlinuz-$(uname -r))
#   JOBS        VMs at a time (default 2)
#   TIMEOUT     seconds for each length (default 600)
#   FILES       files or directories the tests read, packed into /job
#               (space-separated; default none)
# On a runner without SVE it runs the tests once, without SVE.
set -u
vmm=${VMM:-vmm}
jobs=${JOBS:-2}
timeout=${TIMEOUT:-600}
[ $# -gt 0 ] || set -- ./run-tests

say() { echo "ci-example: $*" >&2; }

if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	say "/dev/kvm is missing or not usable by $(id -un): run on an arm64 runner with KVM, in the kvm group"
	exit 125
fi
kernel=${VMM_KERNEL:-/boot/vmlinuz-$(uname -r)}
if [ ! -r "$kernel" ]; then
	say "no readable guest kernel at $kernel: set VMM_KERNEL to an arm64 Image"
	exit 125
fi
export VMM_KERNEL="$kernel"

files=
for f in ${FILES:-}; do
	files="$files -f $f"
done

# `vmm caps` names the host's SVE lengths ("none" without SVE).
if "$vmm" caps | grep -q '^SVE lengths: *none'; then
	say "this runner has no SVE: running the tests once, without it"
	# shellcheck disable=SC2086
	exec "$vmm" exec --timeout "$timeout" $files -- "$@" < /dev/null
fi
say "running $* at every SVE vector length: $("$vmm" caps | sed -n 's/^SVE lengths: *//p')"
# shellcheck disable=SC2086
exec "$vmm" exec --each-vl --jobs "$jobs" --timeout "$timeout" $files -- "$@" < /dev/null
