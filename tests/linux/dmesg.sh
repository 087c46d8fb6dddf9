# Prints the guest kernel log (for looking at boot time by hand).
dmesg
