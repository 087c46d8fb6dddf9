# For make bench (scripts/bench-io-inside): block figures on vda (a scratch
# disk), then TCP from eth0 to the host's end of the tap (port 5001), then
# from the host (the guest listens on 5002).
iobench blk /dev/vda 32 3
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
iobench send 10.0.2.1 5001 32
iobench recv 5002
