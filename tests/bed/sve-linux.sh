# profiles: sve-big
# timeout: 120
# A Linux guest sees exactly the VL set vmm gave it: a process probing
# prctl(PR_SVE_SET_VL) over every length finds {128,256}, and the default
# vector length is capped at 256 bits (32 bytes). With --sve-vls=off the
# guest has no SVE hwcap.
linux_guest vls sve --sve-vls=128,256
expect_rc 0 vls
expect_guest sve_hwcap 1 vls
expect_guest sve_vls 128,256 vls
expect_guest sve_default_vl 32 vls

linux_guest off sve --sve-vls=off
expect_rc 0 off
expect_guest sve_hwcap 0 off
