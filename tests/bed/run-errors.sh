# profiles: sve-big
# timeout: 60
# Bad input ends with status 2 and one line naming the problem; what this
# host cannot give ends with status 3; no guest runs in either case.
# 4 KiB of text: long enough for a header, without the magic.
yes 'this is not a kernel' | head -c 4096 > notakernel
run_vmm bad-kernel run -k notakernel
expect_rc 2 bad-kernel
expect_line "kernel notakernel: not an arm64 Image" bad-kernel

: > empty
run_vmm empty-kernel run -k empty
expect_rc 2 empty-kernel

run_vmm missing-kernel run -k /no/such/Image
expect_rc 2 missing-kernel
expect_line "/no/such/Image" missing-kernel

run_vmm missing-initrd run -k "$GUESTS/hello.img" -i /no/such/initrd
expect_rc 2 missing-initrd
expect_line "initrd /no/such/initrd" missing-initrd

# A gzip Image that ends early: its header is good, so the stream is found
# short only while it is read into guest RAM, on a loader thread.
gzip -c "$GUESTS/hello.img" | head -c 300 > short.gz
run_vmm short-gzip run -k short.gz -m 64
expect_rc 2 short-gzip
expect_line "kernel short.gz: truncated gzip stream" short-gzip

run_vmm usage run -k "$GUESTS/hello.img" --cpus zero
expect_rc 2 usage

# The test bed's host has a 48-bit IPA limit.
run_vmm ipa52 run -k "$GUESTS/hello.img" --ipa-bits 52
expect_rc 3 ipa52
expect_line "IPA size 52 bits cannot be given: this host's limit is 48 bits" ipa52

# 300 TiB of RAM needs a 49-bit IPA space (the map is sparse; nothing is touched).
run_vmm huge run -k "$GUESTS/hello.img" -m $((300 * 1024 * 1024))
expect_rc 3 huge

# Too little memory for the kernel: bad input, named.
run_vmm small run -k "$KERNEL" -m 4
expect_rc 2 small
expect_line "too small" small

for f in bad-kernel empty-kernel missing-kernel missing-initrd short-gzip usage ipa52 huge small; do
	[ "$(wc -l < $f)" = 1 ] || { cat $f; fail "$f: not one line"; }
done

# --dump-dtb writes a flattened device tree (magic d00dfeed).
run_vmm dtb run --testdev -k "$GUESTS/hello.img" --dump-dtb guest.dtb
expect_rc 0 dtb
[ "$(od -A n -t x1 -N 4 guest.dtb | tr -d ' ')" = d00dfeed ] || fail "guest.dtb is not a DTB"

# Every command `vmm help` lists answers --help with its usage (status 0),
# and an unknown option with one line naming it (status 2).
run_vmm help help
expect_rc 0 help
cmds=$(sed -n 's/^  \([a-z-]*\)  .*/\1/p' help)
[ "$(echo $cmds | wc -w)" -ge 10 ] || { cat help; fail "vmm help lists too few commands: $cmds"; }
for c in $cmds; do
	run_vmm help-$c $c --help
	expect_rc 0 help-$c
	[ "$(head -n 1 help-$c | cut -d' ' -f1-3)" = "usage: vmm $c" ] ||
		{ cat help-$c; fail "$c --help: no usage line first"; }
	run_vmm bogus-$c $c --bogus
	# vmm exec keeps 0..123 for its program: its own bad input is 125, as docker run's
	if [ "$c" = exec ]; then expect_rc 125 bogus-$c; else expect_rc 2 bogus-$c; fi
	expect_line "^vmm: $c: unknown option '--bogus'" bogus-$c
	[ "$(wc -l < bogus-$c)" = 1 ] || { cat bogus-$c; fail "$c --bogus: not one line"; }
done
expect_line '\[--debug\]' help-restore
run_vmm bad-command frobnicate
expect_rc 2 bad-command
expect_line "^vmm: unknown command 'frobnicate'" bad-command
