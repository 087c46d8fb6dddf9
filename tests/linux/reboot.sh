# Asks for a reset: vmm must end with status 4.
reboot -f
