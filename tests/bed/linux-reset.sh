# profiles: sve-big
# timeout: 60
# The guest's reboot ends vmm with status 4 (docs/usage.md).
linux_guest out reboot -c 1
expect_rc 4 out
expect_line "vmm-guest: init reached" out
