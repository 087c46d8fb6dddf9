# profiles: sve-big
# timeout: 60
# --rng gives the Linux guest a virtio entropy device behind /dev/hwrng;
# without it, the guest has no virtio device at all.
linux_guest rng virtio-rng --rng
expect_rc 0 rng
expect_guest rng_current virtio_rng.0 rng
expect_guest hwrng_hex_chars 128 rng
expect_guest hwrng random rng
expect_guest virtio_devices 1 rng

linux_guest none virtio-rng
expect_rc 0 none
expect_guest virtio_devices 0 none
